import { Bool, Dictionary, Float32, Field, Int32, makeData, Null, RecordBatch, Schema, Struct, Table, tableFromArrays, tableToIPC, Utf8, vectorFromArray } from 'apache-arrow';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InputFile } from '../../src/io/discover.js';
import { closeDuckDb } from '../../src/io/duckdb-host.js';
import { csvReads, parquetReads, readBatches } from '../../src/io/read.js';
import { sharedBufferOf, SharedReadPool } from '../../src/io/shared-pool.js';
import { readAhead } from '../../src/predict/shard-runner.js';
import { writeTable } from '../helpers/datasets.js';

function batch(rows: number, seed: number): RecordBatch {
  const fields = [new Field('a', new Float32(), false), new Field('b', new Float32(), false)];
  const children = fields.map((_, j) => makeData({ type: new Float32(), length: rows, data: Float32Array.from({ length: rows }, (_, i) => seed * 1000 + i + j / 2) }));
  return new RecordBatch(new Schema(fields), makeData({ type: new Struct(fields), length: rows, nullCount: 0, children }));
}

describe('shared read buffers', () => {
  let dir: string;
  let file: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ortq-pool-'));
    file = join(dir, 'x.arrow');
    await writeFile(file, tableToIPC(new Table([batch(100, 1), batch(100, 2), batch(100, 3), batch(37, 4)]), 'file'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('counts a buffer out per slice handed out and reuses it once every slice is given back', async () => {
    const pool = new SharedReadPool();
    const seen: Array<{ values: number[]; sab: SharedArrayBuffer }> = [];
    const all = readBatches({ path: file, format: 'arrow', size: 0, mtimeMs: 0 }, { pool, batchSize: 30 });
    for await (const b of all) {
      const sab = sharedBufferOf(b)!;
      expect(sab).toBeInstanceOf(SharedArrayBuffer);
      seen.push({ values: Array.from(b.getChild('a')!.toArray() as Float32Array), sab });
      pool.releaseBatch(b);
    }
    // 4 slices of each 100-row batch, 2 of the last; contents right
    expect(seen.length).toBe(14);
    expect(seen[0].values[0]).toBe(1000);
    expect(seen[4].values[0]).toBe(2000);
    expect(seen[13].values.at(-1)).toBe(4036);
    expect(pool.inUse).toBe(0);
    // read-ahead holds two buffers at most: the rest are reused
    expect(new Set(seen.map((s) => s.sab)).size).toBeLessThanOrEqual(2);
  });

  it('never reads into a buffer while a slice of it is held', async () => {
    const pool = new SharedReadPool();
    const held: RecordBatch[] = [];
    for await (const b of readBatches({ path: file, format: 'arrow', size: 0, mtimeMs: 0 }, { pool, batchSize: 30 })) held.push(b);
    expect(held.map((b) => (b.getChild('a')!.toArray() as Float32Array)[0])).toEqual([1000, 1030, 1060, 1090, 2000, 2030, 2060, 2090, 3000, 3030, 3060, 3090, 4000, 4030]);
    expect(new Set(held.map((b) => sharedBufferOf(b))).size).toBe(4);
    expect(pool.inUse).toBe(4);
    for (const b of held) pool.releaseBatch(b);
    expect(pool.inUse).toBe(0);
  });

  it('a consumer that stops early holds only what it took; read-ahead gives the rest back', async () => {
    const pool = new SharedReadPool();
    const got: RecordBatch[] = [];
    for await (const b of readAhead(readBatches({ path: file, format: 'arrow', size: 0, mtimeMs: 0 }, { pool, batchSize: 30 }), (d) => pool.releaseBatch(d))) {
      got.push(b);
      if (got.length === 3) break;
    }
    expect(pool.inUse).toBe(1);
    for (const b of got) pool.releaseBatch(b);
    expect(pool.inUse).toBe(0);
  });

  it('a batch that views none of its read buffer (no rows; compressed IPC decodes into fresh buffers) does not keep it counted out', async () => {
    const f = join(dir, 'empty-between.arrow');
    await writeFile(f, tableToIPC(new Table([batch(10, 1), batch(0, 2), batch(10, 3)]), 'file'));
    const pool = new SharedReadPool();
    const rows: number[] = [];
    for await (const b of readBatches({ path: f, format: 'arrow', size: 0, mtimeMs: 0 }, { pool })) {
      rows.push(b.numRows);
      pool.releaseBatch(b);
    }
    expect(rows).toEqual([10, 0, 10]);
    expect(pool.inUse).toBe(0);
  });

  it('a batch with no rows whose dictionary views the read buffer keeps it counted out until given back', async () => {
    const f = join(dir, 'dict-empty.arrow');
    const t = tableFromArrays({ c: vectorFromArray([] as string[], new Dictionary(new Utf8(), new Int32())) });
    await writeFile(f, tableToIPC(new Table([new RecordBatch(t.schema, makeData({ type: new Struct(t.schema.fields), length: 0, nullCount: 0, children: [makeData({ type: t.schema.fields[0].type, length: 0, nullCount: 0, data: new Int32Array(0), dictionary: vectorFromArray(['x', 'yy'], new Utf8()) })] }))]), 'file'));
    const pool = new SharedReadPool();
    const got: RecordBatch[] = [];
    for await (const b of readBatches({ path: f, format: 'arrow', size: 0, mtimeMs: 0 }, { pool })) got.push(b);
    expect(got.map((b) => b.numRows)).toEqual([0]);
    const dict = got[0].getChild('c')!.data[0].dictionary!;
    expect(dict.toArray()).toEqual(['x', 'yy']);
    // the dictionary is decoded from the file's prefix, read into the batch's buffer
    expect(sharedBufferOf(got[0])).toBeInstanceOf(SharedArrayBuffer);
    expect(pool.inUse).toBe(1);
    for (const b of got) pool.releaseBatch(b);
    expect(pool.inUse).toBe(0);
  });

  it('a batch whose projected columns view none of the read buffer does not keep it counted out', async () => {
    const f = join(dir, 'projected.arrow');
    const fields = [new Field('a', new Float32(), false), new Field('n', new Null(), true)];
    const children = [makeData({ type: new Float32(), length: 5, data: new Float32Array(5) }), makeData({ type: new Null(), length: 5 })];
    await writeFile(f, tableToIPC(new Table([new RecordBatch(new Schema(fields), makeData({ type: new Struct(fields), length: 5, nullCount: 0, children }))]), 'file'));
    const pool = new SharedReadPool();
    const rows: number[] = [];
    for await (const b of readBatches({ path: f, format: 'arrow', size: 0, mtimeMs: 0 }, { pool, columns: ['n'] })) {
      rows.push(b.numRows);
      pool.releaseBatch(b);
    }
    expect(rows).toEqual([5]);
    expect(pool.inUse).toBe(0);
  });

  it('take/retain/release', () => {
    const pool = new SharedReadPool(1, 10);
    const a = pool.take(1000);
    pool.retain(a);
    pool.release(a);
    expect(pool.inUse).toBe(1);
    pool.release(a);
    expect(pool.inUse).toBe(0);
    expect(pool.take(900)).toBe(a);
    // much smaller requests do not pin a large buffer
    pool.release(a);
    expect(pool.take(100)).not.toBe(a);
  });

  it('keeps as many free buffers as were counted out at once, so a pipeline filled again (the next shard) allocates none; drops them when idle', async () => {
    const pool = new SharedReadPool(2, 20);
    const first = Array.from({ length: 6 }, () => pool.take(1000));
    for (const b of first) pool.release(b);
    // a second fill of the same depth reuses all six (keep = 2 would have dropped four)
    const second = Array.from({ length: 6 }, () => pool.take(1000));
    expect(new Set(second)).toEqual(new Set(first));
    for (const b of second) pool.release(b);
    // idle: the buffers and the peak are dropped
    await new Promise((r) => setTimeout(r, 60));
    const third = pool.take(1000);
    expect(first).not.toContain(third);
    pool.release(third);
  });
});

describe('shared read buffers: Parquet and CSV read by DuckDB', () => {
  let dir: string;
  const rows = 1000;
  // f: float32 with nulls, d: float64, i: int64, b: bool, s: utf8 with nulls (bool, utf8 and validity stay ordinary)
  const data = tableFromArrays({
    f: vectorFromArray(Array.from({ length: rows }, (_, i) => (i % 97 === 5 ? null : i / 4)), new Float32()),
    d: Float64Array.from({ length: rows }, (_, i) => Math.sin(i)),
    i: BigInt64Array.from({ length: rows }, (_, i) => BigInt(i * 3 - 7)),
    b: vectorFromArray(Array.from({ length: rows }, (_, i) => i % 3 === 0), new Bool()),
    s: vectorFromArray(Array.from({ length: rows }, (_, i) => (i % 11 === 0 ? null : `r${i}`)), new Utf8()),
  });
  const parquet = (): InputFile => ({ path: join(dir, 'x.parquet'), format: 'parquet', size: 0, mtimeMs: 0 });
  const csv = (): InputFile => ({ path: join(dir, 'x.csv'), format: 'csv', size: 0, mtimeMs: 0 });
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ortq-pool-duck-'));
    await writeTable(parquet().path, data, 'parquet', { rowGroupSize: 300 });
    await writeTable(csv().path, data, 'csv');
  });
  afterAll(async () => {
    await closeDuckDb();
    await rm(dir, { recursive: true, force: true });
  });

  async function ipcOf(file: InputFile, pool?: SharedReadPool): Promise<{ ipc: Uint8Array[]; shared: number; sabs: Set<SharedArrayBuffer> }> {
    const ipc: Uint8Array[] = [];
    const sabs = new Set<SharedArrayBuffer>();
    let shared = 0;
    for await (const b of readBatches(file, { pool, batchSize: 128 })) {
      const sab = sharedBufferOf(b);
      if (sab) { shared++; sabs.add(sab); }
      ipc.push(tableToIPC(new Table([b]), 'stream'));
      pool?.releaseBatch(b);
    }
    return { ipc, shared, sabs };
  }

  for (const [name, file] of [['Parquet', parquet], ['CSV', csv]] as const) {
    it(`${name}: every batch views a shared buffer, with the same bytes as without a pool; buffers come back and are reused`, async () => {
      const reads = { ...parquetReads, csv: csvReads.duckdb };
      const plain = await ipcOf(file());
      const pool = new SharedReadPool();
      const pooled = await ipcOf(file(), pool);
      expect(name === 'Parquet' ? parquetReads.duckdb - reads.duckdb : csvReads.duckdb - reads.csv).toBe(2);
      expect(plain.shared).toBe(0);
      // Parquet: row groups of 300 read as 128, 128, 44 (the last, 100 rows, as one); CSV: 7 × 128 + 104
      expect(pooled.shared).toBe(pooled.ipc.length);
      expect(pooled.ipc.length).toBe(name === 'Parquet' ? 10 : 8);
      expect(pooled.ipc.map((b) => Buffer.from(b).toString('hex'))).toEqual(plain.ipc.map((b) => Buffer.from(b).toString('hex')));
      expect(pool.inUse).toBe(0);
      expect(pooled.sabs.size).toBeLessThanOrEqual(3);
    });

    it(`${name}: a consumer that stops early holds only what it took; the batch being built is given back`, async () => {
      const pool = new SharedReadPool();
      const got: RecordBatch[] = [];
      for await (const b of readAhead(readBatches(file(), { pool, batchSize: 128 }), (d) => pool.releaseBatch(d))) {
        got.push(b);
        if (got.length === 2) break;
      }
      expect(pool.inUse).toBe(2);
      for (const b of got) pool.releaseBatch(b);
      expect(pool.inUse).toBe(0);
    });
  }

  it('CSV: DuckDB failing over a cell csv.ts rejects gives its buffers back (csv-parse reads on and fails)', async () => {
    const bad = join(dir, 'bad.csv');
    // past csv.ts's first 1000 rows (its type inference), row 1199 (line 1201) holds no number
    const lines = ['a,b', ...Array.from({ length: 1500 }, (_, i) => `${i / 2},${i === 1199 ? 'x' : i}`)];
    await writeFile(bad, lines.join('\n') + '\n');
    const pool = new SharedReadPool();
    const got: RecordBatch[] = [];
    const err = await (async () => {
      for await (const b of readBatches({ path: bad, format: 'csv', size: 0, mtimeMs: 0 }, { pool, batchSize: 128 })) got.push(b);
    })().catch((e: Error) => e);
    expect(String(err)).toMatch(/line 1201/);
    for (const b of got) pool.releaseBatch(b);
    expect(pool.inUse).toBe(0);
    await rm(bad);
  });
});
