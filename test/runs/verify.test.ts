import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StepReceipt } from '../../src/kinds/types.js';
import { damagedSteps } from '../../src/runs/verify.js';

describe('damagedSteps with hashedHere', () => {
  let dir: string;
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'ortq-verify-')); });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const receipt = (step: string, bytes: Buffer): StepReceipt => ({
    step, files: [{ path: `part-${step}.arrow`, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), rows: 1 }],
    rows: { read: 1, written: 1, skipped: 0 }, startedAt: '', finishedAt: '', host: 'h', pid: 1,
  });

  it('reads back and hashes every step but those written here, whose size, presence and rows are still checked', async () => {
    const written = Buffer.from('written bytes');
    const receipts = new Map([['a', receipt('a', written)], ['b', receipt('b', written)], ['c', receipt('c', written)]]);
    // same size, other bytes: only a hash finds it
    for (const s of ['a', 'b']) await writeFile(join(dir, `part-${s}.arrow`), Buffer.from('changed bytes'));
    const all = await damagedSteps(dir, ['a', 'b', 'c'], receipts, { hash: true });
    expect([...all.keys()]).toEqual(['a', 'b', 'c']);
    expect(all.get('a')![0].problem).toBe('sha256');
    expect(all.get('c')![0].problem).toBe('missing');
    const here = await damagedSteps(dir, ['a', 'b', 'c'], receipts, { hash: true, hashedHere: new Set(['a', 'c']) });
    expect([...here.keys()]).toEqual(['b', 'c']);
    expect(here.get('c')![0].problem).toBe('missing');
  });
});
