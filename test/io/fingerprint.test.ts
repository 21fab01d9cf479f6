import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestBytes } from '../../src/io/digest.js';
import { digestFile, sha256File } from '../../src/io/fingerprint.js';

describe('digestFile', () => {
  let dir: string;
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'ortq-fp-')); });
  afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

  // 4 MiB is the read size: sizes around one and two reads
  it.each([0, 1, (4 << 20) - 1, 4 << 20, (4 << 20) + 1, (8 << 20) + 12345])('equals the digest of the bytes (%i bytes)', async (size) => {
    const bytes = randomBytes(size);
    const f = join(dir, `f-${size}`);
    await writeFile(f, bytes);
    expect(await digestFile(f)).toBe(digestBytes(bytes));
    expect(await digestFile(f, 'sha256')).toBe(`sha256:${createHash('sha256').update(bytes).digest('hex')}`);
    expect(await sha256File(f)).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('a missing file is ORTQ_INPUT_NOT_FOUND', async () => {
    await expect(digestFile(join(dir, 'nope'))).rejects.toMatchObject({ code: 'ORTQ_INPUT_NOT_FOUND' });
  });
});
