import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic } from '../fs/atomic.js';
import { DATA_DIGEST, type DigestAlgorithm } from '../io/digest.js';
import { digestFile } from '../io/fingerprint.js';
import { ortqHome } from '../config.js';
/**
 * cachedDigest for many files, one after the other: hashing files in parallel
 * worker threads measured slower here (3.9 s vs 2.0 s for 2.5 GB on 2 cores, with sha256).
 */
export async function cachedDigests(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) out.push(await cachedDigest(p));
  return out;
}

interface Entry { path: string; size: number; mtimeMs: number; ctimeMs: number; ino: number; digest: string; hashedAt: number }

/**
 * A file's data digest (`xxh3-64:<hex>`, src/io/digest.ts), remembered
 * against its stat (size, mtime, ctime, inode) the way git's index does, so
 * re-planning an unchanged multi-GB input (a no-op rerun, a scheduler tick,
 * an enqueue) does not re-read it. A file modified within two seconds of
 * being hashed is never trusted from the cache, since a same-size rewrite
 * inside the mtime granularity would look unchanged. Another `algorithm`
 * (sha256, to compare with a record of run format 1) is computed, not cached.
 */
export async function cachedDigest(path: string, algorithm: DigestAlgorithm = DATA_DIGEST): Promise<string> {
  const st = await stat(path).catch(() => null);
  if (!st || algorithm !== DATA_DIGEST) return digestFile(path, algorithm); // a missing file: ORTQ_INPUT_NOT_FOUND
  // cache/sha256/ held format 1's sha256 entries; they are not read any more
  const file = join(ortqHome(), 'cache', 'digest', `${createHash('sha1').update(path).digest('hex')}.json`);
  const hit = await readFile(file, 'utf8').then((t) => JSON.parse(t) as Entry).catch(() => null);
  if (hit && hit.path === path && hit.size === st.size && hit.mtimeMs === st.mtimeMs && hit.ctimeMs === st.ctimeMs
    && hit.ino === st.ino && hit.hashedAt - st.mtimeMs > 2000 && typeof hit.digest === 'string' && hit.digest.startsWith(`${DATA_DIGEST}:`)) {
    return hit.digest;
  }
  const hashedAt = Date.now();
  const digest = await digestFile(path);
  const entry: Entry = { path, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, digest, hashedAt };
  await writeJsonAtomic(file, entry).catch(() => undefined); // a cache that cannot be written is only slower
  return digest;
}
