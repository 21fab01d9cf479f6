import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sha256File } from '../../src/io/fingerprint.js';
import { cachedSha256 } from '../../src/predict/fingerprint-cache.js';

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
  it('returns the file sha256, and notices a same-size rewrite', async () => {
    const dir = await tempDir('ortq-fp-');
    const f = join(dir, 'a.csv');
    await writeFile(f, 'x\n1\n');
    const old = new Date(Date.now() - 60_000);
    await utimes(f, old, old);
    const first = await cachedSha256(f);
    expect(first).toBe(await sha256File(f));
    expect(await cachedSha256(f)).toBe(first); // from the cache
    await writeFile(f, 'x\n2\n'); // same size, new mtime/ctime
    await utimes(f, old, old); // even with the old mtime restored, ctime moved
    expect(await cachedSha256(f)).toBe(await sha256File(f));
    expect(await cachedSha256(f)).not.toBe(first);
  });
});

describe('fingerprints of many files', () => {
  it('equal the plain sha256, in order, and report a missing file', async () => {
    const { cachedSha256s } = await import('../../src/predict/fingerprint-cache.js');
    const dir = await tempDir('ortq-fps-');
    const files = await Promise.all([0, 1, 2, 3].map(async (i) => {
      const f = join(dir, `f${i}.csv`);
      await writeFile(f, `x\n${'9'.repeat(1000 * (i + 1))}\n`);
      return f;
    }));
    const got = await cachedSha256s(files);
    expect(got).toEqual(await Promise.all(files.map((f) => sha256File(f))));
    await expect(cachedSha256s([...files, join(dir, 'missing.csv')])).rejects.toMatchObject({ code: 'ORTQ_INPUT_NOT_FOUND' });
  });
});
