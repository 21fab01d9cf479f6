import { readdir, readlink, stat } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import { OrtqError } from '../errors.js';
import type { InputFormat } from '../predict/types.js';

/** One input file, as found on disk. */
export interface InputFile {
  /** absolute path */
  path: string;
  format: InputFormat;
  size: number;
  mtimeMs: number;
}

const EXTENSIONS: Record<string, InputFormat> = {
  '.parquet': 'parquet',
  '.pq': 'parquet',
  '.arrow': 'arrow',
  '.feather': 'arrow',
  '.ipc': 'arrow',
  '.arrows': 'arrows',
  '.csv': 'csv',
};

/** The input format a file name implies, or null for an unknown extension. */
export function formatFromPath(path: string): InputFormat | null {
  return EXTENSIONS[extname(path).toLowerCase()] ?? null;
}

/** Hidden and `_`-prefixed files (`_SUCCESS`, `.crc`, temp parts) are never inputs. */
function isSkippedName(name: string): boolean {
  return name.startsWith('.') || name.startsWith('_');
}

/**
 * True for a symbolic link to a file, false for one to a directory. A link
 * whose target is missing is an input that went away: an error, never skipped.
 */
async function isLinkToFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    const target = await readlink(path).catch(() => '?');
    throw new OrtqError('ORTQ_INPUT_NOT_FOUND', `input ${path} is a symbolic link to ${target}, which does not exist`, { path, target }, { cause: err });
  }
}

/**
 * Resolves a job's `input.path` to input files: a file, a directory (its files
 * with known extensions, non-recursive) or a glob. Sorted by path.
 * `opts.format` overrides the format of every file (and admits unknown extensions).
 */
export async function discoverInputs(
  pathOrGlob: string,
  opts: { format?: InputFormat; cwd?: string } = {},
): Promise<InputFile[]> {
  const cwd = resolve(opts.cwd ?? process.cwd());
  const candidates: string[] = [];
  const abs = resolve(cwd, pathOrGlob);
  const st = await stat(abs).catch(() => null);
  if (st?.isFile()) {
    candidates.push(abs);
  } else if (st?.isDirectory()) {
    const entries = await readdir(abs, { withFileTypes: true });
    for (const e of entries) {
      if (isSkippedName(e.name) || !(opts.format || formatFromPath(e.name))) continue;
      const path = join(abs, e.name);
      if (e.isSymbolicLink() ? await isLinkToFile(path) : e.isFile()) candidates.push(path);
    }
  } else if (isDynamicPattern(pathOrGlob)) {
    const found = await glob(pathOrGlob, { cwd, absolute: true, onlyFiles: true, dot: false });
    for (const f of found) {
      if (isSkippedName(basename(f))) continue;
      if (opts.format || formatFromPath(f)) candidates.push(resolve(f));
    }
  }

  const files: InputFile[] = [];
  for (const path of candidates) {
    const format = opts.format ?? formatFromPath(path);
    if (!format) {
      throw new OrtqError('ORTQ_INPUT_NOT_FOUND', `cannot tell the format of ${path} from its extension; set input.format`, { path });
    }
    const s = await stat(path);
    files.push({ path, format, size: s.size, mtimeMs: s.mtimeMs });
  }
  if (files.length === 0) {
    throw new OrtqError(
      'ORTQ_INPUT_NOT_FOUND',
      `no input file matches "${pathOrGlob}" (looked in ${cwd}); expected .parquet, .arrow, .feather, .arrows or .csv files`,
      { pattern: pathOrGlob, cwd },
    );
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return files;
}
