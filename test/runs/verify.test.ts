import { mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestBytes } from '../../src/io/digest.js';
import type { StepReceipt } from '../../src/kinds/types.js';
import { fileIdentity } from '../../src/fs/identity.js';
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

describe('damagedSteps with files their writer vouched for (VerifiedFiles)', () => {
  let dir: string;
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'ortq-verified-')); });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const digest = (b: Buffer) => digestBytes(b);
  const receipt = (step: string, bytes: Buffer): StepReceipt => ({
    step, files: [{ path: `part-${step}.arrow`, bytes: bytes.length, digest: digest(bytes), rows: 1 }],
    rows: { read: 1, written: 1, skipped: 0 }, startedAt: '', finishedAt: '', host: 'h', pid: 1,
  });
  const identity = async (f: string) => fileIdentity(await stat(f, { bigint: true }))!;
  // past the kernel's timestamp tick (1-10 ms), so that a write after this gets other times
  const tick = () => new Promise((r) => setTimeout(r, 20));

  it('takes the vouched digest while the file is the one vouched for, and reads it again once it changed', async () => {
    const bytes = Buffer.from('written bytes');
    const steps = ['a', 'b', 'c', 'd'];
    const verified = new VerifiedFiles();
    for (const s of steps) {
      const f = join(dir, `part-${s}.arrow`);
      await writeFile(f, bytes);
      verified.vouch(f, await identity(f), digest(bytes));
    }
    const receipts = new Map(steps.map((s) => [s, receipt(s, bytes)]));
    for (const s of steps) {
      const f = join(dir, `part-${s}.arrow`);
      expect(verified.digestOf(f, await stat(f, { bigint: true }), 'xxh3-64')).toBe(digest(bytes));
    }
    expect(await damagedSteps(dir, steps, receipts, { hash: true, verified })).toEqual(new Map());
    await tick();
    // a: rewritten in place with other bytes of the same size (mtime and ctime move)
    await writeFile(join(dir, 'part-a.arrow'), Buffer.from('changed bytes'));
    // b: replaced by another file under its name (another inode)
    await writeFile(join(dir, 'b.tmp'), Buffer.from('changed bytes'));
    await rename(join(dir, 'b.tmp'), join(dir, 'part-b.arrow'));
    // c: rewritten with the same bytes: read again, and still right
    await writeFile(join(dir, 'part-c.arrow'), bytes);
    for (const s of ['a', 'b', 'c']) {
      const f = join(dir, `part-${s}.arrow`);
      expect(verified.digestOf(f, await stat(f, { bigint: true }), 'xxh3-64')).toBeNull();
    }
    const damaged = await damagedSteps(dir, steps, receipts, { hash: true, verified });
    expect([...damaged.keys()]).toEqual(['a', 'b']);
    expect(damaged.get('a')![0]).toMatchObject({ problem: 'digest', expected: digest(bytes), found: digest(Buffer.from('changed bytes')) });
    expect(damaged.get('b')![0].problem).toBe('digest');
  });

  it('a file changed after it was vouched for but before the check is caught; other algorithms, unknown files and whole-second times are not vouched for', async () => {
    const bytes = Buffer.from('written bytes');
    const f = join(dir, 'part-e.arrow');
    await writeFile(f, bytes);
    const verified = new VerifiedFiles();
    verified.vouch(f, await identity(f), digest(bytes));
    const st = await stat(f, { bigint: true });
    expect(verified.digestOf(f, st, 'sha256')).toBeNull();
    expect(verified.digestOf(join(dir, 'part-x.arrow'), st, 'xxh3-64')).toBeNull();
    expect(fileIdentity({ ...st, mtimeNs: 5_000_000_000n, ctimeNs: 6_000_000_000n })).toBeNull();
    await tick();
    await writeFile(f, Buffer.from('changed bytes'));
    const damaged = await damagedSteps(dir, ['e'], new Map([['e', receipt('e', bytes)]]), { hash: true, verified });
    expect(damaged.get('e')![0].problem).toBe('digest');
  });

  it('forgets the files of a finalized run', async () => {
    const verified = new VerifiedFiles();
    const f = join(dir, 'sub-f.arrow');
    await writeFile(f, 'x');
    verified.vouch(f, await identity(f), digest(Buffer.from('x')));
    verified.vouch('/elsewhere/part.arrow', 'id', digest(Buffer.from('y')));
    const st = await stat(f, { bigint: true });
    expect(verified.digestOf(f, st, 'xxh3-64')).toBe(digest(Buffer.from('x')));
    expect(verified.size).toBe(2);
    verified.forgetUnder(dir);
    expect(verified.size).toBe(1);
    expect(verified.digestOf(f, st, 'xxh3-64')).toBeNull();
  });
});
