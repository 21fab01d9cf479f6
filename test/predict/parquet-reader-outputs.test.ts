import { join } from 'node:path';
import { Bool, Float32, Float64, Int64, makeData, RecordBatch, Schema, Field, Struct, Table, tableFromIPC, Utf8, vectorFromArray, type Data } from 'apache-arrow';
import { beforeAll, describe, expect, it } from 'vitest';
import { parquetReads } from '../../src/io/read.js';
import { parseJob } from '../../src/predict/job-spec.js';
import { runLocal } from '../../src/predict/local-run.js';
import { writeTable } from '../helpers/datasets.js';
import { cols, F, partFiles, readerOutputsFixture, ROWS } from './reader-outputs-fixture.js';

/**
 * A predict job over Parquet gives the same output files whether DuckDB or
 * parquet-wasm read the input (issue 10: outputs byte-identical), for every
 * output format, with Int64 ids above 2^53, nulls in features and passthrough
 * columns of several types, across several shards (row groups).
 */
const fx = readerOutputsFixture('ortq-pq-out-', 'ORTQ_PARQUET_READER');

function table(passthroughNulls: boolean): Table {
  const fields: Field[] = [new Field('id', new Int64(), false)];
  const children: Data[] = [makeData({ type: new Int64(), length: ROWS, data: BigInt64Array.from({ length: ROWS }, (_, i) => 9007199254740993n + BigInt(i) * 3n) })];
  for (let j = 0; j < F; j++) {
    // f2 has nulls: the job's nulls policy fills them
    const v = Array.from({ length: ROWS }, (_, i) => (j === 2 && i % 17 === 0 ? null : Math.sin(i * 0.37 + j * 1.3) * 3));
    fields.push(new Field(`f${j}`, new Float64(), true));
    children.push(vectorFromArray(v, new Float64()).data[0]);
  }
  const n = (i: number, k: number) => passthroughNulls && i % k === 0;
  fields.push(new Field('name', new Utf8(), true), new Field('flag', new Bool(), true), new Field('w', new Float32(), true));
  children.push(
    vectorFromArray(Array.from({ length: ROWS }, (_, i) => (n(i, 5) ? null : `row ${i}${i % 3 ? '' : ' with a longer tail, ü'}`)), new Utf8()).data[0],
    vectorFromArray(Array.from({ length: ROWS }, (_, i) => (n(i, 7) ? null : i % 2 === 0)), new Bool()).data[0],
    vectorFromArray(Array.from({ length: ROWS }, (_, i) => (n(i, 3) ? null : i / 8)), new Float32()).data[0],
  );
  const batch = new RecordBatch(new Schema(fields), makeData({ type: new Struct(fields), length: ROWS, nullCount: 0, children }));
  return new Table([batch]);
}

beforeAll(async () => {
  await writeTable(join(fx.dir, 'dense.parquet'), table(false), 'parquet', { rowGroupSize: 1200 });
  await writeTable(join(fx.dir, 'sparse.parquet'), table(true), 'parquet', { rowGroupSize: 1200 });
});

async function run(input: string, format: string, reader: 'wasm' | 'duckdb'): Promise<{ files: Map<string, Buffer> }> {
  process.env.ORTQ_PARQUET_READER = reader;
  const job = parseJob({
    name: 'pq', model: 'm', input: { path: input }, features: { input: cols }, passthrough: ['id', 'name', 'flag', 'w'],
    nulls: { fill: 0 }, output: { path: `out-${input}-${format}-${reader}`, format }, batchSize: 512,
  }, { baseDir: fx.dir });
  const before = { ...parquetReads };
  const { plan, manifest } = await runLocal(job, { repo: fx.repo, shardRows: 2000 });
  // every shard read through the decoder asked for (DuckDB did not fall back)
  expect(parquetReads[reader] - before[reader]).toBe(plan.shards.length);
  expect(plan.shards.length).toBeGreaterThan(1);
  expect(manifest.rows).toEqual({ read: ROWS, written: ROWS, skipped: 0 });
  return { files: await partFiles(plan.runDir) };
}

describe('Parquet input: DuckDB reader vs parquet-wasm reader, end to end', () => {
  for (const format of ['parquet', 'arrow', 'csv']) {
    it(`byte-identical ${format} outputs`, { timeout: 120_000 }, async () => {
      for (const input of ['dense.parquet', 'sparse.parquet']) {
        const a = await run(input, format, 'wasm');
        const b = await run(input, format, 'duckdb');
        expect([...b.files.keys()]).toEqual([...a.files.keys()]);
        expect(a.files.size).toBeGreaterThan(0);
        for (const [name, bytes] of a.files) {
          // Arrow IPC keeps the bytes under a null slot, which Arrow leaves undefined:
          // arrow-rs leaves earlier values there, DuckDB's reader zeros. Only there may they differ.
          if (format === 'arrow' && input === 'sparse.parquet') {
            expect(b.files.get(name)!.length, name).toBe(bytes.length);
            const rows = (buf: Buffer) => JSON.stringify(tableFromIPC(buf).toArray(), (_k, v) => (typeof v === 'bigint' ? String(v) : v));
            expect(rows(b.files.get(name)!), name).toBe(rows(bytes));
            continue;
          }
          expect(b.files.get(name)!.equals(bytes), `${input} ${name}`).toBe(true);
        }
      }
    });
  }
});
