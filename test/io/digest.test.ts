import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createDataHash, DATA_DIGEST, digestAlgorithm, digestBytes, recordedDigest, shortDigest } from '../../src/io/digest.js';

describe('data digests', () => {
  it('xxh3-64 is XXH3 64-bit, seed 0, hex as xxhsum -H3 prints it', () => {
    expect(DATA_DIGEST).toBe('xxh3-64');
    // reference values of XXH3_64bits (xxhash's own sanity checks)
    expect(digestBytes(new Uint8Array(0))).toBe('xxh3-64:2d06800538d394c2');
    expect(digestBytes(Buffer.from('abc'))).toBe('xxh3-64:78af5f94892f3950');
  });

  it('fed piece by piece equals the digest of the whole, for both algorithms', () => {
    const bytes = new Uint8Array(1 << 20).map((_, i) => (i * 2654435761) >>> 24);
    for (const alg of ['xxh3-64', 'sha256'] as const) {
      const h = createDataHash(alg);
      for (let o = 0; o < bytes.length; o += 77777) h.update(bytes.subarray(o, o + 77777));
      expect(h.digest()).toBe(digestBytes(bytes, alg));
    }
    expect(digestBytes(bytes, 'sha256')).toBe(`sha256:${createHash('sha256').update(bytes).digest('hex')}`);
  });

  it('reads the algorithm back from a digest, and a format-1 record as sha256', () => {
    expect(digestAlgorithm(digestBytes(Buffer.from('x')))).toBe('xxh3-64');
    expect(digestAlgorithm(`sha256:${'a'.repeat(64)}`)).toBe('sha256');
    expect(() => digestAlgorithm('md5:abc')).toThrow(expect.objectContaining({ code: 'ORTQ_INTERNAL' }));
    expect(() => digestAlgorithm('a'.repeat(64))).toThrow(expect.objectContaining({ code: 'ORTQ_INTERNAL' }));
    expect(recordedDigest({ sha256: 'ab'.repeat(32) })).toBe(`sha256:${'ab'.repeat(32)}`);
    expect(recordedDigest({ digest: 'xxh3-64:0123456789abcdef', sha256: 'ff' })).toBe('xxh3-64:0123456789abcdef');
    expect(recordedDigest({ sha256: null })).toBeNull();
    expect(shortDigest('xxh3-64:0123456789abcdef', 4)).toBe('xxh3-64:0123…');
  });
});
