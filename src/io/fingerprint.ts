import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { OrtqError } from '../errors.js';

/** sha256 of a file's bytes, hex, read as a stream (constant memory). */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new OrtqError('ORTQ_INPUT_NOT_FOUND', `input file ${path} does not exist`, { path });
    throw err;
  }
  return hash.digest('hex');
}
