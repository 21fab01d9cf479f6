import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Bool, Field, Type, Float32, Float64, Int32, Int64, makeData, RecordBatch, Schema, Struct, tableToIPC, Table, Utf8, vectorFromArray, type Data,
} from 'apache-arrow';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isOrtqError } from '../../src/errors.js';
import { closeDuckDb } from '../../src/io/duckdb-host.js';
import { parquetLayout } from '../../src/io/inspect.js';
import { closeParquetWorkers } from '../../src/io/parquet-host.js';
import { duckDbPlan } from '../../src/io/parquet-duckdb.js';
import { parquetReads, type ReadOptions } from '../../src/io/read.js';
import { createPartWriter } from '../../src/io/write.js';
import { makeTable, writeTable } from '../helpers/datasets.js';
import { inputFile, INTEROP, readAll } from './helpers.js';

/**
 * The DuckDB Parquet reader against the parquet-wasm one it replaces: the same
 * batches (boundaries, schema, and IPC bytes) for every file and option.
 */
const saved = process.env.ORTQ_PARQUET_READER;
afterEach(() => {
  if (saved === undefined) delete process.env.ORTQ_PARQUET_READER;
  else process.env.ORTQ_PARQUET_READER = saved;
});
afterAll(async () => { closeParquetWorkers(); await closeDuckDb(); });

/** whether the last `both` read its DuckDB side through DuckDB (not the wasm fallback) */
let lastByDuckDb = false;

async function both(path: string, opts?: ReadOptions): Promise<{ wasm: RecordBatch[] | string; duck: RecordBatch[] | string }> {
  const file = await inputFile(path);
  const run = async (engine: string) => {
    process.env.ORTQ_PARQUET_READER = engine;
    try { return await readAll(file, opts); } catch (e) { return `${(e as { code?: string }).code}`; }
  };
  const wasm = await run('wasm');
  const before = parquetReads.duckdb;
  const duck = await run('duckdb');
  lastByDuckDb = parquetReads.duckdb > before;
  return { wasm, duck };
}

/**
 * The bytes under a null are undefined in Arrow: arrow-rs leaves earlier values
 * there, DuckDB's reader zeros. Zeroed here, so that everything else compares.
 */
function zeroUnderNulls(batch: RecordBatch): RecordBatch {
  const children = batch.data.children.map((d) => {
    if (d.nullCount === 0 || !d.nullBitmap || !(d.values instanceof Uint8Array || ArrayBuffer.isView(d.values)) || d.valueOffsets) return d;
    const isNull = (i: number) => ((d.nullBitmap![(d.offset + i) >> 3] >> ((d.offset + i) & 7)) & 1) === 0;
    if (d.typeId === Type.Bool) {
      const v = Uint8Array.from(d.values as Uint8Array);
      for (let i = 0; i < d.length; i++) if (isNull(i)) v[(d.offset + i) >> 3] &= ~(1 << ((d.offset + i) & 7));
      return d.clone(d.type, d.offset, d.length, d.nullCount, [d.valueOffsets, v, d.nullBitmap, d.typeIds] as never);
    }
    const src = d.values as unknown as { slice(): ArrayLike<number> & { fill(v: unknown, s: number, e: number): void }; BYTES_PER_ELEMENT: number };
    const v = src.slice();
    const stride = d.stride;
    const zero = typeof (v as ArrayLike<unknown>)[0] === 'bigint' ? 0n : 0;
    for (let i = 0; i < d.length; i++) if (isNull(i)) v.fill(zero, (d.offset + i) * stride, (d.offset + i + 1) * stride);
    return d.clone(d.type, d.offset, d.length, d.nullCount, [d.valueOffsets, v, d.nullBitmap, d.typeIds] as never);
  });
  return new RecordBatch(batch.schema, makeData({ type: new Struct(batch.schema.fields), length: batch.numRows, nullCount: 0, children }));
}

function ipc(batches: RecordBatch[]): Uint8Array[] {
  return batches.map((b) => tableToIPC(new Table([b]), 'stream'));
}

function expectSame(r: { wasm: RecordBatch[] | string; duck: RecordBatch[] | string }): void {
  if (typeof r.wasm === 'string' || typeof r.duck === 'string') {
    expect(r.duck).toEqual(r.wasm);
    return;
  }
  expect(r.duck.map((b) => b.numRows)).toEqual(r.wasm.map((b) => b.numRows));
  expect(r.duck.map((b) => String(b.schema.fields))).toEqual(r.wasm.map((b) => String(b.schema.fields)));
  for (let i = 0; i < r.wasm.length; i++) {
    const w = r.wasm[i];
    const d = r.duck[i];
    w.schema.fields.forEach((f, c) => {
      expect(d.data.children[c].nullCount, `batch ${i} column ${f.name} nulls`).toBe(w.data.children[c].nullCount);
      const wv = w.getChildAt(c)!;
      const dv = d.getChildAt(c)!;
      for (let k = 0; k < w.numRows; k++) if (typeof wv.get(k) !== 'object' && !Object.is(dv.get(k), wv.get(k))) expect(dv.get(k), `batch ${i} column ${f.name} row ${k}`).toEqual(wv.get(k));
    });
  }
  const a = ipc(r.wasm.map(zeroUnderNulls));
  const b = ipc(r.duck.map(zeroUnderNulls));
  for (let i = 0; i < a.length; i++) {
    if (Buffer.compare(Buffer.from(b[i]), Buffer.from(a[i])) === 0) continue;
    const w = zeroUnderNulls(r.wasm[i]);
    const d = zeroUnderNulls(r.duck[i]);
    w.schema.fields.forEach((f, c) => {
      const one = (x: RecordBatch) => Buffer.from(tableToIPC(new Table({ [f.name]: x.getChildAt(c)! }), 'stream'));
      expect(one(d).equals(one(w)), `batch ${i} column ${f.name}: ${String(f.type)} ${JSON.stringify(Object.keys(d.data.children[c]))}`).toBe(true);
    });
  }
  for (let i = 0; i < a.length; i++) expect(Buffer.compare(Buffer.from(b[i]), Buffer.from(a[i])), `batch ${i}`).toBe(0);
}

describe('DuckDB Parquet reader = parquet-wasm reader', () => {
  const DIR = join(INTEROP, 'parquet');
  it('every parquet-testing golden file, whole and in batches of 1000', { timeout: 240_000 }, async () => {
    const byDuckDb = new Set<string>();
    for (const name of (await readdir(DIR)).filter((f) => f.endsWith('.parquet') && !f.startsWith('large_string_map')).sort()) {
      for (const opts of [undefined, { batchSize: 1000 }]) {
        const r = await both(join(DIR, name), opts);
        try { expectSame(r); } catch (e) { throw new Error(`${name} ${JSON.stringify(opts)}: ${(e as Error).message}`); }
        if (lastByDuckDb) byDuckDb.add(name);
      }
    }
    console.log(`read through DuckDB: ${[...byDuckDb].join(', ')}`);
    // flat files of types DuckDB returns byte for byte; the rest (INT96, float16, nested, Hadoop LZ4) fell back
    for (const n of ['delta_encoding_optional_column.parquet', 'int32_with_null_pages.parquet', 'byte_stream_split.zstd.parquet', 'delta_binary_packed.parquet', 'nan_in_stats.parquet']) expect(byDuckDb).toContain(n);
  });

  let dir: string;
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'ortq-pq-duck-')); });
  afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

  function mixed(rows: number, seed: number): RecordBatch {
    const fields = [
      new Field('id', new Int64(), false), new Field('f32', new Float32(), true), new Field('f64', new Float64(), true),
      new Field('i32', new Int32(), true), new Field('flag', new Bool(), true), new Field('name', new Utf8(), true),
    ];
    const id = BigInt64Array.from({ length: rows }, (_, i) => 9007199254740993n + BigInt(seed * rows + i));
    const nullsEvery = (k: number) => { const v = new Uint8Array((rows + 7) >> 3).fill(0xff); let n = 0; for (let i = 0; i < rows; i += k) { v[i >> 3] &= ~(1 << (i & 7)); n++; } return { v, n }; };
    const m3 = nullsEvery(3); const m5 = nullsEvery(5);
    const children: Data[] = [
      makeData({ type: new Int64(), length: rows, data: id }),
      makeData({ type: new Float32(), length: rows, nullCount: m3.n, nullBitmap: m3.v, data: Float32Array.from({ length: rows }, (_, i) => (i % 3 === 0 ? 0 : i * 0.5 + seed)) }),
      makeData({ type: new Float64(), length: rows, data: Float64Array.from({ length: rows }, (_, i) => (i % 11 === 0 ? NaN : i / 7 - seed)) }),
      makeData({ type: new Int32(), length: rows, nullCount: m5.n, nullBitmap: m5.v, data: Int32Array.from({ length: rows }, (_, i) => (i % 5 === 0 ? 0 : i - 1000)) }),
      vectorFromArray(Array.from({ length: rows }, (_, i) => (i % 7 === 0 ? null : i % 2 === 0)), new Bool()).data[0],
      vectorFromArray(Array.from({ length: rows }, (_, i) => (i % 4 === 0 ? null : i % 3 === 0 ? `a long string value number ${i} ü` : `s${i}`)), new Utf8()).data[0],
    ];
    return new RecordBatch(new Schema(fields), makeData({ type: new Struct(fields), length: rows, nullCount: 0, children }));
  }

  it('mixed dtypes, nulls, Int64 ids above 2^53, strings: whole, projected, row-group ranges', { timeout: 120_000 }, async () => {
    const path = join(dir, 'mixed.parquet');
    const w = createPartWriter(path, 'parquet');
    for (let i = 0; i < 6; i++) await w.write(mixed(i === 5 ? 12_345 : 50_000, i));
    await w.commit();
    // the same rows written by another writer (DuckDB), in many small row groups
    const other = join(dir, 'other.parquet');
    const con = await (await DuckDBInstance.create(':memory:')).connect();
    await con.run(`COPY (SELECT * FROM read_parquet('${path}')) TO '${other}' (FORMAT parquet, ROW_GROUP_SIZE 20000)`);
    con.closeSync();
    for (const p of [path, other]) {
      const layout = await parquetLayout(await inputFile(p));
      expect(layout.units).toBeGreaterThan(2);
      expect(duckDbPlan(p, layout.schema, layout.unitRows!, {})).not.toBeNull();
      expectSame(await both(p));
      expect(lastByDuckDb).toBe(true);
      expectSame(await both(p, { batchSize: 9999 }));
      expectSame(await both(p, { columns: ['name', 'id'] }));
      for (let u = 0; u < layout.units; u++) {
        expectSame(await both(p, { unitStart: u, unitEnd: u + 1, columns: ['f32', 'id', 'flag'], batchSize: 7000 }));
        expect(lastByDuckDb).toBe(true);
      }
      expectSame(await both(p, { unitStart: 1, unitEnd: layout.units + 3 }));
      expectSame(await both(p, { unitStart: layout.units, unitEnd: layout.units + 1 }));
    }
    otherPath = other;
  });

  let otherPath = '';
  it('damaged data pages and truncation end in ORTQ_INPUT_CORRUPT naming the file, or in a full read', { timeout: 120_000 }, async () => {
    expect(otherPath).not.toBe('');
    const good = await readFile(otherPath);
    const footerLen = good.readUInt32LE(good.length - 8);
    const dataEnd = good.length - 8 - footerLen;
    const seen = new Map<string, number>();
    const outcome = async (bytes: Uint8Array, name: string): Promise<string> => {
      const path = join(dir, name);
      await writeFile(path, bytes);
      process.env.ORTQ_PARQUET_READER = 'duckdb';
      try {
        const n = (await readAll(await inputFile(path))).reduce((a, b) => a + b.numRows, 0);
        return `read ${n} rows`;
      } catch (err) {
        expect(isOrtqError(err, 'ORTQ_INPUT_CORRUPT'), String(err)).toBe(true);
        expect((err as Error).message).toContain(path);
        return 'ORTQ_INPUT_CORRUPT';
      }
    };
    // a damaged late row group: DuckDB has handed out batches by then, so it must fail, not fall back
    for (const at of [0.1, 0.5, 0.9, 0.97]) {
      const bad = Uint8Array.from(good);
      bad.fill(0xa5, Math.floor(dataEnd * at), Math.floor(dataEnd * at) + 4096);
      const o = await outcome(bad, `damaged-${at}.parquet`);
      seen.set(o, (seen.get(o) ?? 0) + 1);
      expect(o).toMatch(/^(ORTQ_INPUT_CORRUPT|read 262345 rows)$/);
    }
    expect(seen.get('ORTQ_INPUT_CORRUPT')).toBeGreaterThan(0);
    for (const keep of [0.5, 0.99]) expect(await outcome(good.subarray(0, Math.floor(good.length * keep)), `cut-${keep}.parquet`)).toBe('ORTQ_INPUT_CORRUPT');
  });
});

describe('the footer layout cache', () => {
  it('a file replaced under the same InputFile (planned size, no mtime, as the shard runner passes) is read as it is now', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ortq-pq-layout-'));
    try {
      const path = join(dir, 'in.parquet');
      const file = { path, format: 'parquet' as const, size: 1, mtimeMs: 0 };
      process.env.ORTQ_PARQUET_READER = 'duckdb';
      await writeTable(path, makeTable({ rows: 3000, features: 2 }), 'parquet', { rowGroupSize: 1000 });
      expect((await parquetLayout(file)).unitRows).toEqual([1000, 1000, 1000]);
      // makeTable's `cat` is a dictionary column, which DuckDB does not read here
      const opts = { unitStart: 1, unitEnd: 2, columns: ['id', 'f0'] };
      expect((await readAll(file, opts)).reduce((a, b) => a + b.numRows, 0)).toBe(1000);
      await writeTable(path, makeTable({ rows: 2500, features: 2, startId: 7 }), 'parquet', { rowGroupSize: 500 });
      expect((await parquetLayout(file)).unitRows).toEqual([500, 500, 500, 500, 500]);
      const before = parquetReads.duckdb;
      const batches = await readAll(file, opts);
      expect(parquetReads.duckdb).toBe(before + 1);
      expect(batches.reduce((a, b) => a + b.numRows, 0)).toBe(500);
      expect(batches[0].getChild('id')!.get(0)).toBe(507n);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('Parquet reader settings', () => {
  it('ORTQ_PARQUET_READER and ORTQ_DUCKDB_(PARQUET_)THREADS are checked: a wrong value is ORTQ_CONFIG_INVALID', async () => {
    const { parquetReaderSetting, duckDbThreadsSetting } = await import('../../src/config.js');
    expect(parquetReaderSetting({})).toBe('duckdb');
    expect(parquetReaderSetting({ ORTQ_PARQUET_READER: 'wasm' })).toBe('wasm');
    expect(() => parquetReaderSetting({ ORTQ_PARQUET_READER: 'arrow-rs' })).toThrow(/ORTQ_PARQUET_READER="arrow-rs"/);
    expect(duckDbThreadsSetting('parquet', {})).toBe(1);
    expect(duckDbThreadsSetting('parquet', { ORTQ_DUCKDB_THREADS: '2' })).toBe(2);
    expect(duckDbThreadsSetting('parquet', { ORTQ_DUCKDB_THREADS: '2', ORTQ_DUCKDB_PARQUET_THREADS: '1' })).toBe(1);
    expect(duckDbThreadsSetting('parquet', { ORTQ_DUCKDB_CSV_THREADS: '3' })).toBe(1);
    expect(() => duckDbThreadsSetting('parquet', { ORTQ_DUCKDB_THREADS: '0' })).toThrow('ORTQ_DUCKDB_THREADS="0" is not a positive integer');
    expect(() => duckDbThreadsSetting('parquet', { ORTQ_DUCKDB_PARQUET_THREADS: 'two' })).toThrow('ORTQ_DUCKDB_PARQUET_THREADS="two" is not a positive integer');
    process.env.ORTQ_PARQUET_READER = 'nope';
    const err = await readAll(await inputFile(join(INTEROP, 'parquet', 'alltypes_plain.parquet'))).catch((e: unknown) => e);
    expect(isOrtqError(err, 'ORTQ_CONFIG_INVALID')).toBe(true);
  });
});
