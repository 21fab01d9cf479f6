import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { digestFile } from '../../src/io/fingerprint.js';
import { cachedDigest } from '../../src/predict/fingerprint-cache.js';

// each test's temp dir (its ORTQ_HOME holds the cache) goes, and ORTQ_HOME is put back
const savedHome = process.env.ORTQ_HOME;
const dirs: string[] = [];
async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(dir);
  process.env.ORTQ_HOME = join(dir, 'home');
  return dir;
}
afterEach(async () => {
  if (savedHome === undefined) delete process.env.ORTQ_HOME;
  else process.env.ORTQ_HOME = savedHome;
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('fingerprint cache', () => {
  it('returns the file digest (xxh3-64), and notices a same-size rewrite', async () => {
    const dir = await tempDir('ortq-fp-');
    const f = join(dir, 'a.csv');
    await writeFile(f, 'x\n1\n');
    const old = new Date(Date.now() - 60_000);
    await utimes(f, old, old);
    const first = await cachedDigest(f);
    expect(first).toMatch(/^xxh3-64:[0-9a-f]{16}$/);
    expect(first).toBe(await digestFile(f));
    expect(await cachedDigest(f)).toBe(first); // from the cache
    expect(await cachedDigest(f, 'sha256')).toBe(await digestFile(f, 'sha256')); // another algorithm: computed
    await writeFile(f, 'x\n2\n'); // same size, new mtime/ctime
    await utimes(f, old, old); // even with the old mtime restored, ctime moved
    expect(await cachedDigest(f)).toBe(await digestFile(f));
    expect(await cachedDigest(f)).not.toBe(first);
  });
});

describe('fingerprints of many files', () => {
  it('equal the plain digests, in order, and report a missing file', async () => {
    const { cachedDigests } = await import('../../src/predict/fingerprint-cache.js');
    const dir = await tempDir('ortq-fps-');
    const files = await Promise.all([0, 1, 2, 3].map(async (i) => {
      const f = join(dir, `f${i}.csv`);
      await writeFile(f, `x\n${'9'.repeat(1000 * (i + 1))}\n`);
      return f;
    }));
    const got = await cachedDigests(files);
    expect(got).toEqual(await Promise.all(files.map((f) => digestFile(f))));
    await expect(cachedDigests([...files, join(dir, 'missing.csv')])).rejects.toMatchObject({ code: 'ORTQ_INPUT_NOT_FOUND' });
  });
});
