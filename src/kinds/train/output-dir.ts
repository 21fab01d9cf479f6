import { lstat, readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { OrtqError } from '../../errors.js';

/** Sums the bytes under `dir`, refusing links and anything but files and folders (a trainer's output is not trusted). */
export async function outputBytes(dir: string, cap: number): Promise<number> {
  let total = 0;
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) {
        total += (await lstat(p)).size;
        if (total > cap) {
          throw new OrtqError('ORTQ_TRAIN_FAILED', `the trainer's output is over trainer.maxOutputBytes (${cap} bytes); refused`, { maxOutputBytes: cap });
        }
      } else {
        throw new OrtqError('ORTQ_TRAIN_FAILED', `the trainer's output holds ${relative(dir, p)}, which is not a regular file; refused`, { file: relative(dir, p) });
      }
    }
  };
  await walk(dir);
  return total;
}

/** A small text file the trainer may have written, capped; undefined when absent. */
export async function readSmallText(file: string, cap = 8192): Promise<string | undefined> {
  try {
    const text = (await readFile(file)).subarray(0, cap).toString('utf8').trim();
    return text;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** The regular files directly under output/files (attachments of the new version). */
export async function outputFiles(dir: string): Promise<string[]> {
  try {
    const ents = await readdir(dir, { withFileTypes: true });
    return ents.filter((e) => e.isFile()).map((e) => join(dir, e.name)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}
