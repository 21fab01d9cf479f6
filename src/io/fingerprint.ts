import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { inputNotFound, isMissingFile } from './corrupt.js';

/** sha256 of a file's bytes, hex, read as a stream (constant memory). */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  } catch (err) {
    throw isMissingFile(err) ? inputNotFound(path, err) : err;
  }
  return hash.digest('hex');
}
