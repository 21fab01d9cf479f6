import { mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestBytes } from '../../src/io/digest.js';
import type { StepReceipt } from '../../src/kinds/types.js';
import { VerifiedFiles } from '../../src/runs/verified-files.js';
import { damagedSteps } from '../../src/runs/verify.js';

describe('damagedSteps with hashedHere', () => {
  let dir: string;
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'ortq-verify-')); });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const receipt = (step: string, bytes: Buffer): StepReceipt => ({
    step, files: [{ path: `part-${step}.arrow`, bytes: bytes.length, digest: digestBytes(bytes), rows: 1 }],
    rows: { read: 1, written: 1, skipped: 0 }, startedAt: '', finishedAt: '', host: 'h', pid: 1,
  });

  it('reads back and hashes every step but those written here, whose size, presence and rows are still checked', async () => {
    const written = Buffer.from('written bytes');
    const receipts = new Map([['a', receipt('a', written)], ['b', receipt('b', written)], ['c', receipt('c', written)]]);
    // same size, other bytes: only a hash finds it
    for (const s of ['a', 'b']) await writeFile(join(dir, `part-${s}.arrow`), Buffer.from('changed bytes'));
    const all = await damagedSteps(dir, ['a', 'b', 'c'], receipts, { hash: true });
    expect([...all.keys()]).toEqual(['a', 'b', 'c']);
    expect(all.get('a')![0]).toMatchObject({ problem: 'digest', expected: digestBytes(written), found: digestBytes(Buffer.from('changed bytes')) });
    expect(all.get('c')![0].problem).toBe('missing');
    const here = await damagedSteps(dir, ['a', 'b', 'c'], receipts, { hash: true, hashedHere: new Set(['a', 'c']) });
    expect([...here.keys()]).toEqual(['b', 'c']);
    expect(here.get('c')![0].problem).toBe('missing');
  });
});

describe('damagedSteps with files read back during the run (VerifiedFiles)', () => {
  let dir: string;
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'ortq-verified-')); });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const sha = (b: Buffer) => digestBytes(b);
  const receipt = (step: string, bytes: Buffer): StepReceipt => ({
    step, files: [{ path: `part-${step}.arrow`, bytes: bytes.length, digest: sha(bytes), rows: 1 }],
    rows: { read: 1, written: 1, skipped: 0 }, startedAt: '', finishedAt: '', host: 'h', pid: 1,
  });

  it('keeps the hash read during the run while the file is the same, and reads it again once it changed', async () => {
    const bytes = Buffer.from('written bytes');
    const steps = ['a', 'b', 'c', 'd'];
    for (const s of steps) await writeFile(join(dir, `part-${s}.arrow`), bytes);
    const verified = new VerifiedFiles();
    for (const s of steps) verified.add(join(dir, `part-${s}.arrow`));
    const receipts = new Map(steps.map((s) => [s, receipt(s, bytes)]));
    expect(await damagedSteps(dir, steps, receipts, { hash: true, verified })).toEqual(new Map());
    // a: rewritten in place with other bytes of the same size (mtime and ctime move)
    await writeFile(join(dir, 'part-a.arrow'), Buffer.from('changed bytes'));
    // b: replaced by another file under its name (another inode)
    await writeFile(join(dir, 'b.tmp'), Buffer.from('changed bytes'));
    await rename(join(dir, 'b.tmp'), join(dir, 'part-b.arrow'));
    // c: rewritten with the same bytes: read again, and still right
    await writeFile(join(dir, 'part-c.arrow'), bytes);
    const damaged = await damagedSteps(dir, steps, receipts, { hash: true, verified });
    expect([...damaged.keys()]).toEqual(['a', 'b']);
    expect(damaged.get('a')![0].problem).toBe('digest');
    expect(damaged.get('b')![0].problem).toBe('digest');
  });

  it('a hash read during the run is not believed over the record: a file changed before it was read back is caught', async () => {
    const bytes = Buffer.from('written bytes');
    await writeFile(join(dir, 'part-e.arrow'), Buffer.from('changed bytes'));
    const verified = new VerifiedFiles();
    verified.add(join(dir, 'part-e.arrow'));
    const damaged = await damagedSteps(dir, ['e'], new Map([['e', receipt('e', bytes)]]), { hash: true, verified });
    expect(damaged.get('e')![0]).toMatchObject({ problem: 'digest', expected: sha(bytes), found: sha(Buffer.from('changed bytes')) });
  });

  it('forgets a missing file and the files of a finalized run', async () => {
    const verified = new VerifiedFiles();
    verified.add(join(dir, 'no-such-part.arrow'));
    await writeFile(join(dir, 'sub-f.arrow'), 'x');
    verified.add(join(dir, 'sub-f.arrow'));
    const st = await stat(join(dir, 'sub-f.arrow'), { bigint: true });
    expect(await verified.digestOf(join(dir, 'sub-f.arrow'), st)).toBe(sha(Buffer.from('x')));
    expect(await verified.digestOf(join(dir, 'sub-f.arrow'), st, 'sha256')).toBeNull(); // read with xxh3-64, not sha256
    expect(verified.size).toBe(2);
    verified.forgetUnder(dir);
    expect(verified.size).toBe(0);
    expect(await verified.digestOf(join(dir, 'sub-f.arrow'), st)).toBeNull();
  });
});
