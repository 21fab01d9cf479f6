import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { FileDigest } from './manifest.js';

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The digest of bytes already in memory. */
export function digestBytes(bytes: Uint8Array): FileDigest {
  return { sha256: sha256Hex(bytes), size: bytes.byteLength };
}

/** Streams a file through sha256, so multi-gigabyte side files never sit in memory. */
export async function digestFile(path: string): Promise<FileDigest> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

export function prefixed(hex: string): string {
  return `sha256:${hex}`;
}
