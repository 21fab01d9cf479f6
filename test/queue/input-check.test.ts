import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestFile } from '../../src/io/fingerprint.js';
import { assertInputsUnchanged, recordedInputs } from '../../src/queue/input-check.js';

/** A retry checks the inputs of any kind's plan: predict records a list, train lists by role. */
describe('recordedInputs and the retry input check', () => {
  let dir: string;
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'ortq-input-check-')); });
  afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

  it('reads a predict plan (a list), a train plan (lists by role) and a plan without inputs', () => {
    const a = { path: 'a.csv', digest: 'xxh3-64:00' };
    const b = { path: 'b.csv', digest: 'xxh3-64:01' };
    expect(recordedInputs({ inputs: [a] })).toEqual([a]);
    expect(recordedInputs({ inputs: { train: [a], eval: [b] } })).toEqual([a, b]);
    expect(recordedInputs({})).toEqual([]);
  });

  it('a changed eval file of a train plan fails the retry with ORTQ_INPUT_CHANGED', async () => {
    const train = join(dir, 'train.csv');
    const evalFile = join(dir, 'eval.csv');
    await writeFile(train, 'x,y\n1,2\n');
    await writeFile(evalFile, 'x,y\n3,4\n');
    const plan = { inputs: { train: [{ path: train, digest: await digestFile(train) }], eval: [{ path: evalFile, digest: await digestFile(evalFile) }] } };
    await assertInputsUnchanged('r1', recordedInputs(plan), 'job');
    await writeFile(evalFile, 'x,y\n3,5\n');
    await expect(assertInputsUnchanged('r1', recordedInputs(plan), 'job')).rejects.toMatchObject({ code: 'ORTQ_INPUT_CHANGED' });
  });
});
