import { Field, Float32, makeData, RecordBatch, Schema, Struct, Table, tableToIPC, type Data } from 'apache-arrow';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { shardReadPool } from '../../src/io/shared-pool.js';
import { profileFromData } from '../../src/monitor/profile-data.js';
import { linearModel, mlpModel, treeEnsembleModel, zipMapClassifier } from '../../src/onnx/model-zoo.js';
import { inferenceThreadCount } from '../../src/predict/inference-pool.js';
import { InferenceThread } from '../../src/predict/inference-client.js';
import { parseJob } from '../../src/predict/job-spec.js';
import { runLocal } from '../../src/predict/local-run.js';
import { ModelRepository } from '../../src/repo/model-repository.js';
import { partFiles } from './reader-outputs-fixture.js';

/**
 * `inference.threads: 2` scores consecutive batches on two inference threads
 * (src/predict/inference-pool.ts): the parts, the row counts and the drift
 * histograms are the same as with one thread, batches are written in order,
 * and a failing shard gives every shared buffer back.
 */
const F = 5;
const cols = Array.from({ length: F }, (_, j) => `f${j}`);

function batch(rows: number, start: number, nanAt: number | null): RecordBatch {
  const fields = cols.map((c) => new Field(c, new Float32(), false));
  const children: Data[] = cols.map((_, j) => {
    const a = Float32Array.from({ length: rows }, (_, i) => Math.sin((start + i) * 0.37 + j * 1.3) * 3);
    if (j === 2 && nanAt !== null && nanAt >= start && nanAt < start + rows) a[nanAt - start] = NaN;
    return makeData({ type: new Float32(), length: rows, data: a });
  });
  return new RecordBatch(new Schema(fields), makeData({ type: new Struct(fields), length: rows, nullCount: 0, children }));
}

function table(batches: number[], nanAt: number | null): Table {
  let start = 0;
  return new Table(batches.map((n) => { const b = batch(n, start, nanAt); start += n; return b; }));
}

describe('inference.threads: 2', () => {
  let dir: string;
  let repo: ModelRepository;
  const home = process.env.ORTQ_HOME;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ortq-pool-'));
    process.env.ORTQ_HOME = join(dir, 'home');
    repo = new ModelRepository({ root: join(dir, 'repo') });
    await writeFile(join(dir, 'mlp.onnx'), mlpModel({ sizes: [F, 8, 3], seed: 7 }).bytes);
    await writeFile(join(dir, 'clf.onnx'), zipMapClassifier({ features: F, classes: ['a', 'b', 'c'], seed: 4 }).bytes);
    await repo.save('mlp', join(dir, 'mlp.onnx'));
    await repo.save('clf', join(dir, 'clf.onnx'));
    await writeFile(join(dir, 'clean.arrow'), tableToIPC(table([900, 900, 900, 700], null), 'file'));
    await writeFile(join(dir, 'nan.arrow'), tableToIPC(table([900, 900, 900, 700], 1777), 'file'));
    // a reference profile: runs of mlp count drift histograms of every input and output
    await repo.attachProfile('mlp', await profileFromData({ repo, model: 'mlp', data: join(dir, 'clean.arrow') }));
  });
  afterAll(async () => {
    if (home === undefined) delete process.env.ORTQ_HOME;
    else process.env.ORTQ_HOME = home;
    await rm(dir, { recursive: true, force: true });
  });

  async function run(model: string, input: string, threads: number, nulls: unknown = { fill: 0 }) {
    const inference = { ...loadConfig().inference, threads };
    const job = parseJob({
      name: 'pool', model, input: { path: input }, features: { [model === 'clf' ? 'float_input' : 'input']: cols }, nulls,
      output: { path: `out-${model}-${input}-${threads}`, format: 'arrow' }, batchSize: 200,
    }, { baseDir: dir });
    const threadsUsed = new Set<InferenceThread>();
    const spy = vi.spyOn(InferenceThread.prototype, 'runShared').mockImplementation(function (this: InferenceThread, ...args) {
      threadsUsed.add(this);
      return original.apply(this, args);
    });
    try {
      const { plan, manifest } = await runLocal(job, { repo, inference, shardRows: 1800 });
      return { manifest, files: await partFiles(plan.runDir), threads: threadsUsed.size };
    } finally {
      spy.mockRestore();
    }
  }
  const original = InferenceThread.prototype.runShared;

  for (const [model, input] of [['mlp', 'clean.arrow'], ['mlp', 'nan.arrow'], ['clf', 'clean.arrow']]) {
    it(`${model} on ${input}: the same parts and drift with two threads as with one`, { timeout: 60_000 }, async () => {
      const one = await run(model, input, 1);
      const two = await run(model, input, 2);
      expect(one.threads).toBe(1);
      expect(two.threads).toBe(2);
      expect(two.manifest.rows).toEqual({ read: 3400, written: 3400, skipped: 0 });
      expect([...two.files.keys()]).toEqual([...one.files.keys()]);
      for (const [name, bytes] of one.files) expect(two.files.get(name)!.equals(bytes), name).toBe(true);
      if (model === 'mlp') {
        expect(two.manifest.drift).toBeDefined();
        expect(JSON.stringify(two.manifest.drift)).toBe(JSON.stringify(one.manifest.drift));
      }
      expect(shardReadPool.inUse).toBe(0);
    });
  }

  it('a shard that fails part-way on two threads gives every shared buffer back', { timeout: 60_000 }, async () => {
    const err = await run('mlp', 'nan.arrow', 2, 'error').catch((e: Error) => e);
    expect(String(err)).toMatch(/row 1777 column "f2" is NaN/);
    expect(shardReadPool.inUse).toBe(0);
  });
});

describe('inference.threads: 0 (auto)', () => {
  const inference = loadConfig().inference;
  const trees = treeEnsembleModel({ trees: 3, depth: 2, features: 4, seed: 1 }).bytes;
  it('is the default and takes two threads for a tree ensemble on two or more cores, one otherwise', () => {
    expect(inference.threads).toBe(0);
    expect(inferenceThreadCount(inference, trees)).toBe(Math.min(2, availableParallelism()));
    expect(inferenceThreadCount(inference, mlpModel({ sizes: [4, 8, 3], seed: 1 }).bytes)).toBe(1);
    expect(inferenceThreadCount(inference, linearModel({ features: 4, seed: 1 }).bytes)).toBe(1);
  });
  it('a set thread count, or a set intra-op thread count, is kept', () => {
    expect(inferenceThreadCount({ ...inference, threads: 3 }, trees)).toBe(3);
    expect(inferenceThreadCount({ ...inference, intraOpThreads: 2 }, trees)).toBe(1);
  });
});
