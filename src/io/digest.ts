import { createHash } from 'node:crypto';
import { xxh3 } from '@node-rs/xxhash';
import { OrtqError } from '../errors.js';

/**
 * Digests of data: input files (run ids, the queue's input check, train and
 * newData fingerprints, profiles) and the part files a run writes (receipts
 * and manifests). Stored as `<algorithm>:<hex>`, so a record says how to
 * check it. Model digests (src/repo) are not these: they stay sha256.
 *
 * - `xxh3-64`: XXH3, 64 bits, seed 0, hex as `xxhsum -H3` prints it; what
 *   ortq writes since run manifest format 2. It is not a cryptographic hash:
 *   it tells changed bytes from unchanged ones (a chance of 2^-64 to miss a
 *   change), it does not stand against someone forging a file. The 64-bit
 *   variant because @node-rs/xxhash hashes 128 bits only in one call over
 *   the whole input, and a file is hashed in constant memory, piece by piece.
 * - `sha256`: what format 1 recorded (a bare hex `sha256` field, read as
 *   `sha256:<hex>`, see recordedDigest); still checked where a record holds it.
 */
export type DigestAlgorithm = 'xxh3-64' | 'sha256';

/** The algorithm of every data digest ortq writes. */
export const DATA_DIGEST: DigestAlgorithm = 'xxh3-64';

/** A running digest: feed it bytes in order, then take `<algorithm>:<hex>` once. */
export interface DataHash {
  update(bytes: Uint8Array): void;
  digest(): string;
}

export function createDataHash(algorithm: DigestAlgorithm = DATA_DIGEST): DataHash {
  if (algorithm === 'sha256') {
    const h = createHash('sha256');
    return { update: (b) => { h.update(b); }, digest: () => `sha256:${h.digest('hex')}` };
  }
  const h = xxh3.Xxh3.withSeed(0n);
  return { update: (b) => { h.update(b); }, digest: () => `xxh3-64:${h.digest().toString(16).padStart(16, '0')}` };
}

/** The digest of bytes held in memory, `<algorithm>:<hex>`. */
export function digestBytes(bytes: Uint8Array, algorithm: DigestAlgorithm = DATA_DIGEST): string {
  const h = createDataHash(algorithm);
  h.update(bytes);
  return h.digest();
}

const DIGEST = /^(xxh3-64:[0-9a-f]{16}|sha256:[0-9a-f]{64})$/;

/** The algorithm a recorded digest was taken with; ORTQ_INTERNAL for a digest ortq never writes. */
export function digestAlgorithm(digest: string): DigestAlgorithm {
  if (!DIGEST.test(digest)) throw new OrtqError('ORTQ_INTERNAL', `"${digest.slice(0, 80)}" is not a data digest ortq knows (xxh3-64:<16 hex> or sha256:<64 hex>)`, { digest: digest.slice(0, 80) });
  return digest.slice(0, digest.indexOf(':')) as DigestAlgorithm;
}

/**
 * A record's digest as `<algorithm>:<hex>`: its `digest` (format 2), or its
 * bare `sha256` hex (format 1: receipts, plans and manifests written before
 * the switch), or null when it holds none.
 */
export function recordedDigest(record: { digest?: string | null; sha256?: string | null }): string | null {
  if (record.digest) return record.digest;
  return record.sha256 ? `sha256:${record.sha256}` : null;
}

/** The hex part of a digest, shortened for messages: `xxh3-64:1f2e3d4c5b6a…`. */
export function shortDigest(digest: string, hexChars = 12): string {
  const colon = digest.indexOf(':');
  return `${digest.slice(0, colon + 1 + hexChars)}…`;
}
