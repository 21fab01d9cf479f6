import { Field, Float32, Float64, Int32, Int64, makeData, RecordBatch, Schema, Struct, Table, tableToIPC, Utf8, vectorFromArray, type Data } from 'apache-arrow';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { closeDuckDb } from '../../src/io/duckdb-host.js';
import { csvReads, parquetReads } from '../../src/io/read.js';
import { shardReadPool } from '../../src/io/shared-pool.js';
import { linearModel, mlpModel, zipMapClassifier } from '../../src/onnx/model-zoo.js';
import { InferenceThread } from '../../src/predict/inference-client.js';
import { parseJob } from '../../src/predict/job-spec.js';
import { runLocal } from '../../src/predict/local-run.js';
import { ModelRepository } from '../../src/repo/model-repository.js';
import { writeTable } from '../helpers/datasets.js';
import { partFiles } from './reader-outputs-fixture.js';

/**
 * The shared path (Arrow read into shared buffers, features copied by the
 * inference thread, outputs transposed into column views) writes the same
 * bytes as the copy path (ORTQ_PREDICT_PATH=copy: tensors built and
 * transferred by the calling thread, outputs split there), for every output
 * format, several output shapes and options, odd batch lengths, slices of the
 * file's record batches, several shards, mixed column types, and a batch with
 * a NaN that goes through the careful path. The same for Parquet and CSV
 * inputs read by DuckDB into the same shared buffers (duckdb-batches.ts).
 */
const F = 6;
const cols = Array.from({ length: F }, (_, j) => `f${j}`);
const BATCHES = [601, 601, 601, 601, 596];

function batch(rows: number, start: number, nanAt: number | null, f5Float: boolean): RecordBatch {
  const fields: Field[] = [new Field('id', new Int64(), false), new Field('name', new Utf8(), true)];
  const children: Data[] = [
    makeData({ type: new Int64(), length: rows, data: BigInt64Array.from({ length: rows }, (_, i) => BigInt(start + i)) }),
    vectorFromArray(Array.from({ length: rows }, (_, i) => ((start + i) % 9 === 0 ? null : `r${start + i}`)), new Utf8()).data[0],
  ];
  for (let j = 0; j < F; j++) {
    const v = (i: number) => Math.sin((start + i) * 0.37 + j * 1.3) * 3;
    // f0-f3 float32, f4 float64, f5 int32: memcpy and converting copies
    if (j < 4) {
      const a = Float32Array.from({ length: rows }, (_, i) => v(i));
      if (j === 1 && nanAt !== null && nanAt >= start && nanAt < start + rows) a[nanAt - start] = NaN;
      fields.push(new Field(cols[j], new Float32(), false));
      children.push(makeData({ type: new Float32(), length: rows, data: a }));
    } else if (j === 4) {
      fields.push(new Field(cols[j], new Float64(), false));
      children.push(makeData({ type: new Float64(), length: rows, data: Float64Array.from({ length: rows }, (_, i) => v(i)) }));
    } else if (f5Float) {
      // CSV: whole numbers would read as int64, which the shared path leaves to the copy path
      fields.push(new Field(cols[j], new Float64(), false));
      children.push(makeData({ type: new Float64(), length: rows, data: Float64Array.from({ length: rows }, (_, i) => Math.round(v(i) * 10) + 0.5) }));
    } else {
      fields.push(new Field(cols[j], new Int32(), false));
      children.push(makeData({ type: new Int32(), length: rows, data: Int32Array.from({ length: rows }, (_, i) => Math.round(v(i) * 10)) }));
    }
  }
  return new RecordBatch(new Schema(fields), makeData({ type: new Struct(fields), length: rows, nullCount: 0, children }));
}

function table(nanAt: number | null, f5Float = false): Table {
  let start = 0;
  return new Table(BATCHES.map((n) => { const b = batch(n, start, nanAt, f5Float); start += n; return b; }));
}

describe('Arrow input: shared path vs copy path, end to end', () => {
  let dir: string;
  let repo: ModelRepository;
  const home = process.env.ORTQ_HOME;
  const path = process.env.ORTQ_PREDICT_PATH;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ortq-shared-'));
    process.env.ORTQ_HOME = join(dir, 'home');
    repo = new ModelRepository({ root: join(dir, 'repo') });
    const models: Record<string, Uint8Array> = {
      mlp: mlpModel({ sizes: [F, 8, 3], seed: 7 }).bytes,
      linear: linearModel({ features: F, seed: 5 }).bytes,
      clf: zipMapClassifier({ features: F, classes: ['a', 'b', 'c'], seed: 4 }).bytes,
    };
    for (const [name, bytes] of Object.entries(models)) {
      await writeFile(join(dir, `${name}.onnx`), bytes);
      await repo.save(name, join(dir, `${name}.onnx`));
    }
    await writeFile(join(dir, 'clean.arrow'), tableToIPC(table(null), 'file'));
    await writeFile(join(dir, 'nan.arrow'), tableToIPC(table(1234), 'file'));
    // row groups of 700 rows: batches of 250, 250, 200 each (short batches, shorter pool requests)
    await writeTable(join(dir, 'clean.parquet'), table(null), 'parquet', { rowGroupSize: 700 });
    await writeTable(join(dir, 'nan.parquet'), table(1234), 'parquet', { rowGroupSize: 700 });
    await writeTable(join(dir, 'clean.csv'), table(null, true), 'csv');
    await writeTable(join(dir, 'nan.csv'), table(1234, true), 'csv');
  });
  afterAll(async () => {
    if (home === undefined) delete process.env.ORTQ_HOME;
    else process.env.ORTQ_HOME = home;
    if (path === undefined) delete process.env.ORTQ_PREDICT_PATH;
    else process.env.ORTQ_PREDICT_PATH = path;
    await closeDuckDb();
    await rm(dir, { recursive: true, force: true });
  });

  async function run(model: string, input: string, format: string, mode: 'shared' | 'copy', outputs: Record<string, unknown> = {}) {
    process.env.ORTQ_PREDICT_PATH = mode;
    const tag = `${model}-${input}-${format}-${Object.keys(outputs).join('_')}-${mode}`;
    const job = parseJob({
      name: 'sh', model, input: { path: input }, features: { [model === 'clf' ? 'float_input' : 'input']: cols }, passthrough: ['id', 'name'], nulls: { fill: 0 },
      // CSV: a short last batch (10 × 280 + 200 rows)
      output: { path: `out-${tag}`, format }, batchSize: input.endsWith('.csv') ? 280 : 250, outputs,
    }, { baseDir: dir });
    const spy = vi.spyOn(InferenceThread.prototype, 'runShared');
    const before = { parquet: parquetReads.duckdb, csv: csvReads.duckdb };
    try {
      const { plan, manifest } = await runLocal(job, { repo, shardRows: 1300 });
      // a CSV file is one unit: one shard
      if (!input.endsWith('.csv')) expect(plan.shards.length).toBeGreaterThan(1);
      // DuckDB read every Parquet and CSV shard
      if (input.endsWith('.parquet')) expect(parquetReads.duckdb - before.parquet).toBe(plan.shards.length);
      if (input.endsWith('.csv')) expect(csvReads.duckdb - before.csv).toBe(1);
      expect(manifest.rows).toEqual({ read: 3000, written: 3000, skipped: 0 });
      return { files: await partFiles(plan.runDir), shared: spy.mock.calls.length };
    } finally {
      spy.mockRestore();
    }
  }

  it('a shard that fails part-way gives every shared buffer back', { timeout: 60_000 }, async () => {
    process.env.ORTQ_PREDICT_PATH = 'shared';
    const job = parseJob({
      name: 'fail', model: 'mlp', input: { path: 'nan.arrow' }, features: { input: cols }, nulls: 'error',
      output: { path: 'out-fail', format: 'arrow' }, batchSize: 250,
    }, { baseDir: dir });
    const err = await runLocal(job, { repo, shardRows: 3000 }).catch((e: Error) => e);
    expect(String(err)).toMatch(/row 1234 column "f1" is NaN/);
    expect(shardReadPool.inUse).toBe(0);
  });

  it('a CSV read that DuckDB gives up on (csv-parse reads on and fails) gives every shared buffer back', { timeout: 60_000 }, async () => {
    process.env.ORTQ_PREDICT_PATH = 'shared';
    const lines = (await readFile(join(dir, 'clean.csv'), 'utf8')).split('\n');
    lines[2500] = lines[2500].replace(/,[^,]*$/, ',x1'); // f5 of row 2499 (line 2501) is no number
    await writeFile(join(dir, 'bad.csv'), lines.join('\n'));
    const resumed = csvReads.resumed;
    try {
      const job = parseJob({
        name: 'badcsv', model: 'mlp', input: { path: 'bad.csv' }, features: { input: cols }, nulls: { fill: 0 },
        output: { path: 'out-badcsv', format: 'arrow' }, batchSize: 250,
      }, { baseDir: dir });
      const err = await runLocal(job, { repo }).catch((e: Error) => e);
      expect(String(err)).toMatch(/bad\.csv.*line 2501/s);
      expect(csvReads.resumed).toBe(resumed + 1);
    } finally {
      await rm(join(dir, 'bad.csv'));
    }
    expect(shardReadPool.inUse).toBe(0);
  });

  const cases: Array<[string, string, Record<string, unknown>]> = [
    ['mlp', 'clean.arrow', {}],
    ['mlp', 'clean.arrow', { output: { as: 'list' } }],
    ['mlp', 'nan.arrow', { output: { rename: 'score' } }],
    ['linear', 'clean.arrow', {}],
    ['clf', 'clean.arrow', {}],
    ['clf', 'nan.arrow', {}],
    ['mlp', 'clean.parquet', {}],
    ['clf', 'nan.parquet', {}],
    ['mlp', 'clean.csv', {}],
    ['mlp', 'nan.csv', { output: { rename: 'score' } }],
  ];
  for (const format of ['arrow', 'csv', 'parquet']) {
    for (const [model, input, outputs] of cases) {
      it(`${model} on ${input}, ${format}${Object.keys(outputs).length ? `, ${JSON.stringify(outputs)}` : ''}: byte-identical parts`, { timeout: 60_000 }, async () => {
        const copy = await run(model, input, format, 'copy', outputs);
        const shared = await run(model, input, format, 'shared', outputs);
        expect(copy.shared).toBe(0);
        // Parquet parts keep every batch until the end: no shared buffers for them
        if (format === 'parquet') expect(shared.shared).toBe(0);
        else expect(shared.shared).toBeGreaterThan(0);
        expect([...shared.files.keys()]).toEqual([...copy.files.keys()]);
        if (!input.endsWith('.csv')) expect(shared.files.size).toBeGreaterThan(1);
        for (const [name, bytes] of copy.files) expect(shared.files.get(name)!.equals(bytes), name).toBe(true);
        // every read buffer came back to the pool
        expect(shardReadPool.inUse).toBe(0);
      });
    }
  }
});
