import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestFile } from '../../src/io/fingerprint.js';
import { upgradeFingerprint } from '../../src/triggers/sources.js';

/** A newData trigger's fingerprint stored before xxh3-64 (bare hex sha256) fires nothing by itself after the upgrade. */
describe('upgradeFingerprint', () => {
  let dir: string;
  const savedHome = process.env.ORTQ_HOME;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ortq-fpup-'));
    process.env.ORTQ_HOME = join(dir, 'home');
  });
  afterAll(async () => {
    if (savedHome === undefined) delete process.env.ORTQ_HOME;
    else process.env.ORTQ_HOME = savedHome;
    await rm(dir, { recursive: true, force: true });
  });

  it('gives unchanged files their current digest and keeps sha256 for changed ones', async () => {
    const [a, b, gone] = ['a.csv', 'b.csv', 'gone.csv'].map((n) => join(dir, n));
    await writeFile(a, 'x\n1\n');
    await writeFile(b, 'x\n2\n');
    const sha = (s: string) => createHash('sha256').update(s).digest('hex');
    const stored = [
      { path: a, sha256: sha('x\n1\n'), rows: 1 },
      { path: b, sha256: sha('x\n2 before\n'), rows: 1 },
      { path: gone, sha256: sha('y'), rows: 1 },
    ] as unknown as Parameters<typeof upgradeFingerprint>[0];
    const current = [{ path: a, digest: await digestFile(a), rows: 1 }, { path: b, digest: await digestFile(b), rows: 1 }];
    expect(await upgradeFingerprint(stored, current)).toEqual([
      { path: a, digest: current[0].digest, rows: 1 },
      { path: b, digest: `sha256:${sha('x\n2 before\n')}`, rows: 1 },
      { path: gone, digest: `sha256:${sha('y')}`, rows: 1 },
    ]);
    // already in today's terms: unchanged
    expect(await upgradeFingerprint(current, current)).toEqual(current);
  });
});
