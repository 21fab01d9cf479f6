import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { once } from 'node:events';
import tar from 'tar-stream';
import { OrtqError } from '../errors.js';
import { fsyncDir, tempPathFor } from '../fs/atomic.js';
import type { Logger } from '../logger.js';
import { assertLocationInside, externalDataLocations } from '../onnx/external-data.js';
import { digestFile } from './digests.js';
import { fsyncTree, listFiles } from './files.js';
import { MANIFEST_FILE, MODEL_FILE, SIGNATURE_FILE, type ModelManifest, type ResolvedModel } from './manifest.js';
import { assertOpensInOnnxRuntime } from './onnx-runtime-check.js';
import { newTempDir, parseOnnx, publishDir, removeQuietly } from './save.js';
import { assertValidSegment } from './tag.js';

/** Fixed header fields so that the same version always exports to the same bytes. */
const EPOCH = new Date(0);

function header(name: string, size: number): Parameters<tar.Pack['entry']>[0] {
  return { name, size, mode: 0o644, mtime: EPOCH, uid: 0, gid: 0, uname: '', gname: '', type: 'file' };
}

/**
 * Writes `<name>/<version>/{manifest.json, signature.json?, files…}` as one
 * tar with sorted entries and fixed metadata: deterministic, byte for byte.
 */
export async function exportVersion(r: ResolvedModel, file: string): Promise<{ tag: string; file: string; bytes: number }> {
  const entries = [MANIFEST_FILE, ...Object.keys(r.manifest.files)];
  if (await stat(join(r.dir, SIGNATURE_FILE)).catch(() => undefined)) entries.push(SIGNATURE_FILE);
  entries.sort();
  await mkdir(dirname(file), { recursive: true });
  const tmp = tempPathFor(file);
  const pack = tar.pack();
  const out = createWriteStream(tmp, { flags: 'wx' });
  const written = new Promise<void>((resolve, reject) => {
    out.on('close', resolve);
    out.on('error', reject);
    pack.on('error', reject);
  });
  pack.pipe(out);
  try {
    for (const rel of entries) {
      const path = join(r.dir, rel);
      const { size } = await stat(path);
      // tar-stream's streams are streamx streams: feed them by hand, honouring backpressure
      let sink!: ReturnType<tar.Pack['entry']>;
      const done = new Promise<void>((resolve, reject) => {
        sink = pack.entry(header(`${r.name}/${r.version}/${rel}`, size), (err) => (err ? reject(err) : resolve()));
      });
      for await (const chunk of createReadStream(path)) {
        if (!sink.write(chunk as Buffer)) await once(sink, 'drain');
      }
      (sink as unknown as { end(): void }).end();
      await done;
    }
    pack.finalize();
    await written;
    // the archive's bytes reach the disk before its name does
    const fh = await open(tmp, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
    await fsyncDir(dirname(file));
  } catch (err) {
    pack.destroy(err as Error);
    out.destroy();
    await rm(tmp, { force: true });
    throw err;
  }
  return { tag: r.tag, file, bytes: (await stat(file)).size };
}

function invalid(file: string, why: string): OrtqError {
  return new OrtqError('ORTQ_ARCHIVE_INVALID', `archive ${file}: ${why}`, { file });
}

/** Splits an entry path into name, version and a safe relative path, or refuses it. */
function entryPath(file: string, path: string): { name: string; version: string; rel: string } {
  const segs = path.split('/');
  if (path.startsWith('/') || path.includes('\\') || path.includes('\0') || segs.length < 3 ||
      segs.some((s) => s === '' || s === '.' || s === '..')) {
    throw invalid(file, `entry "${path}" is not a plain relative path inside <name>/<version>/ (path traversal refused)`);
  }
  try {
    assertValidSegment('name', segs[0]);
    assertValidSegment('version', segs[1]);
  } catch (err) {
    throw invalid(file, `entry "${path}": ${(err as Error).message}`);
  }
  return { name: segs[0], version: segs[1], rel: segs.slice(2).join('/') };
}

/** Streams the archive's entries into `dir`; returns the name and version they belong to. */
async function extractInto(file: string, dir: string): Promise<{ name: string; version: string }> {
  const extract = tar.extract();
  const source = createReadStream(file);
  source.on('error', (err) => extract.destroy(err));
  source.pipe(extract);
  let who: { name: string; version: string } | undefined;
  const seen = new Set<string>();
  try {
    for await (const entry of extract) {
      const h = entry.header;
      if (h.type !== 'file') throw invalid(file, `entry "${h.name}" is a ${h.type}; only regular files are allowed`);
      const p = entryPath(file, h.name);
      if (who && (who.name !== p.name || who.version !== p.version)) throw invalid(file, 'it holds more than one model version');
      who = { name: p.name, version: p.version };
      if (seen.has(p.rel)) throw invalid(file, `entry "${h.name}" appears twice`);
      seen.add(p.rel);
      const target = join(dir, p.rel);
      await mkdir(dirname(target), { recursive: true });
      const fh = await open(target, 'wx');
      try {
        for await (const chunk of entry) await fh.write(chunk as Uint8Array);
      } finally {
        await fh.close();
      }
    }
  } catch (err) {
    source.destroy();
    if (err instanceof OrtqError) throw err;
    throw invalid(file, (err as Error).message);
  }
  if (!who) throw invalid(file, 'it is empty');
  return who;
}

/** Checks an extracted version against its own manifest: names, every digest, no stray files, a loadable model. */
async function checkExtracted(file: string, dir: string, name: string, version: string): Promise<ModelManifest> {
  let manifest: ModelManifest;
  try {
    manifest = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8')) as ModelManifest;
  } catch (err) {
    throw invalid(file, `no readable ${MANIFEST_FILE}: ${(err as Error).message}`);
  }
  if (manifest.name !== name || manifest.version !== version) {
    throw invalid(file, `its manifest names ${manifest.name}:${manifest.version} but its entries are under ${name}/${version}/`);
  }
  if (!manifest.files || !manifest.files[MODEL_FILE]) throw invalid(file, `its manifest does not list ${MODEL_FILE}`);
  const { files } = await listFiles(dir);
  for (const f of files) {
    if (f !== MANIFEST_FILE && f !== SIGNATURE_FILE && !manifest.files[f]) throw invalid(file, `entry ${f} is not listed in the manifest`);
  }
  for (const [f, want] of Object.entries(manifest.files)) {
    const got = await digestFile(join(dir, f)).catch(() => undefined);
    if (!got) throw invalid(file, `${f} is listed in the manifest but missing`);
    if (got.sha256 !== want.sha256 || got.size !== want.size) throw invalid(file, `${f} does not match its recorded sha256`);
  }
  const model = parseOnnx(await readFile(join(dir, MODEL_FILE)), `${name}:${version}/${MODEL_FILE}`);
  for (const loc of externalDataLocations(model)) await assertLocationInside(dir, loc);
  await assertOpensInOnnxRuntime(join(dir, MODEL_FILE), `${name}:${version}`);
  return manifest;
}

async function sameContent(dir: string, existing: ResolvedModel): Promise<boolean> {
  const [a, b] = await Promise.all([readFile(join(dir, MANIFEST_FILE)), readFile(join(existing.dir, MANIFEST_FILE))]);
  return a.equals(b);
}

/**
 * Adds the version in an archive under the same name:version. Importing the
 * same content again is a no-op; a different version under that tag is refused.
 */
export async function importVersion(
  root: string,
  file: string,
  deps: { existing: (name: string, version: string) => Promise<ResolvedModel | undefined>; logger: Logger },
): Promise<{ tag: string; status: 'imported' | 'unchanged' }> {
  if (!(await stat(file).catch(() => undefined))?.isFile()) throw new OrtqError('ORTQ_USAGE', `archive ${file} does not exist`, { file });
  const tmp = newTempDir(root, 'import');
  await mkdir(tmp, { recursive: true });
  try {
    const { name, version } = await extractInto(file, tmp);
    const tag = `${name}:${version}`;
    await checkExtracted(file, tmp, name, version);
    const clash = async (): Promise<{ tag: string; status: 'unchanged' } | undefined> => {
      const existing = await deps.existing(name, version);
      if (!existing) return undefined;
      if (await sameContent(tmp, existing)) return { tag, status: 'unchanged' };
      throw invalid(file, `${tag} already exists in the repository with different content`);
    };
    const before = await clash();
    if (before) return before;
    await fsyncTree(tmp);
    try {
      await publishDir(tmp, join(root, name), version, tag);
    } catch (err) {
      const after = err instanceof OrtqError && err.code === 'ORTQ_MODEL_EXISTS' ? await clash() : undefined;
      if (after) return after;
      throw err;
    }
    deps.logger.info({ model: tag, archive: file }, 'model imported');
    return { tag, status: 'imported' };
  } finally {
    await removeQuietly(tmp);
  }
}
