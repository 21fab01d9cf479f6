import { open } from 'node:fs/promises';
import { inputNotFound, isMissingFile } from './corrupt.js';
import { createDataHash, DATA_DIGEST, type DigestAlgorithm } from './digest.js';

/** 4 MiB reads: few enough syscalls, small enough to stay in cache while hashed. */
const CHUNK = 4 << 20;

/**
 * The digest of a file's bytes, `<algorithm>:<hex>` (src/io/digest.ts), in
 * constant memory. Two buffers alternate: the next pread runs on libuv's pool
 * while this thread hashes the last one, which costs a quarter less CPU than
 * a read stream (measured with sha256, 256 MB file).
 */
export async function digestFile(path: string, algorithm: DigestAlgorithm = DATA_DIGEST): Promise<string> {
  const hash = createDataHash(algorithm);
  const fh = await open(path, 'r').catch((err: unknown) => {
    throw isMissingFile(err) ? inputNotFound(path, err) : err;
  });
  try {
    const bufs = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];
    let pos = 0;
    let i = 0;
    let next = fh.read(bufs[i], 0, CHUNK, pos);
    for (;;) {
      const { bytesRead } = await next;
      if (bytesRead === 0) break;
      const done = bufs[i];
      pos += bytesRead;
      i ^= 1;
      next = fh.read(bufs[i], 0, CHUNK, pos);
      hash.update(bytesRead === CHUNK ? done : done.subarray(0, bytesRead));
    }
  } finally {
    await fh.close();
  }
  return hash.digest();
}

/**
 * sha256 of a file's bytes, bare hex: for what is not data, a train job's
 * trainer files (their sha256 goes into the model's lineage, next to the
 * repository's sha256 model digests).
 */
export async function sha256File(path: string): Promise<string> {
  return (await digestFile(path, 'sha256')).slice('sha256:'.length);
}
