import { cp, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKind } from '../../src/kinds/registry.js';
import type { RunPlan } from '../../src/predict/types.js';
import { assertInputsUnchanged } from '../../src/queue/input-check.js';
import { finalizeRun } from '../../src/runs/finalize.js';
import { RUN_FORMAT_VERSION } from '../../src/runs/format.js';
import { RunLedger } from '../../src/runs/ledger.js';
import { readPlan, readReceipts, writePlan } from '../../src/runs/store.js';
import { verifyRunDir } from '../../src/runs/verify.js';

/**
 * Runs written before data digests became xxh3-64 (format 1: bare hex
 * `sha256` in receipts, plans and run.json) still verify, finish and pass the
 * queue's input check, with sha256: test/fixtures/run-format1 is such a run.
 */
const FIXTURE = resolve(import.meta.dirname, '../fixtures/run-format1');
const RUN = 'run=format1-5bdc09a2991cdc671bdb';
let dir: string;
let runDir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ortq-format1-'));
  await cp(FIXTURE, dir, { recursive: true });
  runDir = join(dir, 'out', RUN);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('a run of format 1', () => {
  it('verifies with the sha256 it recorded, and a changed byte is found', async () => {
    const m = JSON.parse(await readFile(join(runDir, 'run.json'), 'utf8')) as { format?: number; outputs: Array<{ sha256?: string }> };
    expect(m.format).toBeUndefined();
    expect(m.outputs[0].sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(await verifyRunDir(runDir)).toMatchObject({ ok: true, files: 1, problems: [] });
    const part = join(runDir, 'part-00000.csv');
    const good = await readFile(part);
    const bad = Buffer.from(good);
    bad[bad.length - 2] ^= 1;
    await writeFile(part, bad);
    const report = await verifyRunDir(runDir);
    expect(report.problems).toEqual([{ path: 'part-00000.csv', problem: 'digest', expected: `sha256:${m.outputs[0].sha256}`, found: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) }]);
    await writeFile(part, good);
  });

  it('reads its receipts as sha256 digests, and finishes (resumed by this ortq) as format 2 keeping them', async () => {
    const receipts = await readReceipts(runDir);
    expect(receipts.get('00000')!.files[0]).toEqual({ path: 'part-00000.csv', bytes: 138, rows: 6, digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
    // the run as an older ortq left it before its last step was finalized: plan and receipts, no run.json
    const plan = { ...(await readPlan<RunPlan>(runDir)), runDir };
    await writePlan(plan);
    await unlink(join(runDir, 'run.json'));
    const ledger = new RunLedger(join(dir, 'ledger'));
    const m = await finalizeRun<import('../../src/predict/types.js').RunManifest>(await loadKind('predict'), plan, { mode: 'local', startedAt: new Date().toISOString(), ledger });
    expect(m.status).toBe('completed');
    expect(m.format).toBe(RUN_FORMAT_VERSION);
    expect(m.outputs[0]).toMatchObject({ path: 'part-00000.csv', digest: receipts.get('00000')!.files[0].digest });
    expect(m.inputs[0].digest).toBe('sha256:48e230b3275cd2c8c1a5b01fd75e493861d9b309df01999d55f3f4b54a9f32a1');
    expect(JSON.stringify(m)).not.toContain('"sha256"');
    expect(await verifyRunDir(runDir)).toMatchObject({ ok: true, files: 1 });
  });

  it('passes the queue input check with its sha256, and a changed input fails it', async () => {
    const input = join(dir, 'data', 'in.csv');
    const recorded = { path: input, sha256: '48e230b3275cd2c8c1a5b01fd75e493861d9b309df01999d55f3f4b54a9f32a1' };
    await assertInputsUnchanged('format1-5bdc09a2991cdc671bdb', [recorded], 'format1');
    await writeFile(input, (await readFile(input, 'utf8')).replace('0.25', '0.26'));
    await expect(assertInputsUnchanged('format1-5bdc09a2991cdc671bdb', [recorded], 'format1'))
      .rejects.toMatchObject({ code: 'ORTQ_INPUT_CHANGED', message: expect.stringMatching(/changed \(sha256:48e230b3275c… when planned, sha256:[0-9a-f]{12}… now\)/) });
  });
});
