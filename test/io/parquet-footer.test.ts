import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import {
  Binary, Bool, DateDay, Field, tableFromArrays, Float32, Float64, Int8, Int16, Int32, Int64, makeData, RecordBatch, Schema, Struct, Table, tableToIPC,
  TimestampMicrosecond, TimestampMillisecond, TimestampNanosecond, TimestampSecond, Uint8, Uint16, Uint32, Uint64, Utf8, vectorFromArray,
  type DataType, type Data,
} from 'apache-arrow';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectInput, inspectParquetWasm, parquetInspects, type InputLayout } from '../../src/io/inspect.js';
import { parquetFooterLayout, type FooterAnswer, type FooterLayout } from '../../src/io/parquet-footer.js';
import { closeParquetWorkers } from '../../src/io/parquet-host.js';
import { createPartWriter } from '../../src/io/write.js';
import { makeTable, writeTable } from '../helpers/datasets.js';
import { inputFile, INTEROP, readAll } from './helpers.js';

/**
 * The footer reader (parquet-footer.ts) against parquet-wasm's inspect on every
 * Parquet file the tests use: where it answers, the answer is parquet-wasm's
 * (names, types, nullability, field and schema metadata, rows, row groups).
 */
const require = createRequire(import.meta.url);
const pw = require('parquet-wasm') as typeof import('parquet-wasm');

afterAll(() => closeParquetWorkers());

const sorted = (m: Map<string, string>) => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
function describeLayout(l: { schema: Schema; rows: number | null; unitRows: number[] | null }): unknown {
  return {
    fields: l.schema.fields.map((f) => ({ name: f.name, type: String(f.type), typeId: f.type.typeId, nullable: f.nullable, metadata: sorted(f.metadata) })),
    metadata: sorted(l.schema.metadata),
    rows: l.rows,
    unitRows: l.unitRows,
  };
}

function layoutOf(a: FooterAnswer): FooterLayout {
  if ('refused' in a) throw new Error(`refused: ${a.refused}`);
  return a.layout;
}

/** 'footer' when the footer reader answered (and agreed), 'wasm' when it left the file to parquet-wasm. */
async function compare(path: string, opts: { damaged?: boolean } = {}): Promise<'footer' | 'wasm' | 'both fail' | 'footer only'> {
  const answer = await parquetFooterLayout(path);
  let wasm: InputLayout | Error;
  try { wasm = await inspectParquetWasm(path); } catch (e) { wasm = e as Error; }
  if ('refused' in answer) {
    expect(answer.refused, path).not.toBe('');
    if (!(wasm instanceof Error)) console.log(path, 'left to parquet-wasm:', answer.refused);
    return wasm instanceof Error ? 'both fail' : 'wasm';
  }
  const mine = answer.layout;
  if (wasm instanceof Error) {
    // a footer damaged where only arrow-rs looks (column chunk metadata the footer reader skips):
    // inspect now passes, and the read must still end in ORTQ_INPUT_CORRUPT naming the file
    if (!opts.damaged) throw new Error(`${path}: the footer reader answered where parquet-wasm fails: ${wasm.message}`);
    const err = await readAll(await inputFile(path)).then(() => null, (e: unknown) => e);
    expect((err as { code?: string } | null)?.code, `${path}: parquet-wasm: ${wasm.message}`).toBe('ORTQ_INPUT_CORRUPT');
    expect((err as Error).message).toContain(path);
    return 'footer only';
  }
  expect(describeLayout(mine), path).toEqual(describeLayout(wasm));
  return 'footer';
}

describe('Parquet footer reader = parquet-wasm inspect', () => {
  let dir: string;
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'ortq-pq-footer-')); });
  afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

  it('every file in shared/interop parquet and parquet-bad', { timeout: 120_000 }, async () => {
    const seen: Record<string, string[]> = { footer: [], wasm: [], 'both fail': [] };
    for (const sub of ['parquet', 'parquet-bad']) {
      for (const name of (await readdir(join(INTEROP, sub))).filter((f) => f.endsWith('.parquet')).sort()) {
        seen[await compare(join(INTEROP, sub, name))].push(`${sub}/${name}`);
      }
    }
    console.log(JSON.stringify(seen, null, 1));
    for (const n of ['parquet/nan_in_stats.parquet', 'parquet/int32_with_null_pages.parquet', 'parquet/byte_stream_split.zstd.parquet']) {
      expect(seen.footer).toContain(n);
    }
  });

  it('files written by parquet-wasm, ortq, DuckDB and by hand, every type the footer reader answers for', { timeout: 120_000 }, async () => {
    const out: Record<string, string> = {};
    // the tests' own dataset writer (parquet-wasm), one and several row groups
    // (its string column is a dictionary, taken from the embedded schema: left to parquet-wasm)
    await writeTable(join(dir, 'made.parquet'), makeTable({ rows: 2500, features: 4 }), 'parquet');
    await writeTable(join(dir, 'made-plain.parquet'), tableFromArrays({ id: BigInt64Array.from([1n, 2n, 3n]), f: Float32Array.from([1, 2, 3]) }), 'parquet', { rowGroupSize: 2 });
    await writeTable(join(dir, 'empty.parquet'), tableFromArrays({ f: new Float64Array(0) }), 'parquet');
    // every flat type, nullable or not, with schema and field metadata
    const rows = 10;
    const types: DataType[] = [new Bool(), new Int8(), new Int16(), new Int32(), new Int64(), new Uint8(), new Uint16(), new Uint32(), new Uint64(),
      new Float32(), new Float64(), new Utf8(), new Binary(), new DateDay(), new TimestampMillisecond(), new TimestampMicrosecond(),
      new TimestampNanosecond(), new TimestampMicrosecond('UTC'),
      // arrow-rs takes these from the embedded ARROW:schema (no Parquet type says so): left to parquet-wasm
      new TimestampSecond(), new TimestampMillisecond('+01:00')];
    const hinted = (t: DataType) => t.typeId === 10 && ((t as TimestampSecond).unit === 0 || (t as TimestampSecond).timezone === '+01:00');
    const fields: Field[] = [];
    const children: Data[] = [];
    types.forEach((t, i) => {
      for (const nullable of [true, false]) {
        fields.push(new Field(`c${i}_${nullable ? 'n' : 'r'}`, t, nullable, i === 3 ? new Map([['note', 'x']]) : undefined));
        const vals = Array.from({ length: rows }, (_, k) => {
          if (nullable && k % 3 === 0) return null;
          switch (t.typeId) {
            case 6: return k % 2 === 0;
            case 5: return `s${k}`;
            case 4: return new Uint8Array([k]);
            case 8: return new Date(86_400_000 * k);
            case 10: return k * 1000;
            default: return (t as { bitWidth?: number }).bitWidth === 64 ? BigInt(k) : k;
          }
        });
        children.push(vectorFromArray(vals as never, t).data[0]);
      }
    });
    const pick = (keep: (f: Field) => boolean): RecordBatch => {
      const fs = fields.filter(keep);
      const cs = children.filter((_, i) => keep(fields[i]));
      return new RecordBatch(new Schema(fs, new Map([['writer', 'test']])), makeData({ type: new Struct(fs), length: rows, nullCount: 0, children: cs }));
    };
    const wasmWrite = (b: RecordBatch, props?: import('parquet-wasm').WriterProperties) => pw.writeParquet(pw.Table.fromIPCStream(tableToIPC(new Table([b]), 'stream')), props);
    await writeFile(join(dir, 'types.parquet'), wasmWrite(pick((f) => !hinted(f.type))));
    await writeFile(join(dir, 'types-hinted.parquet'), wasmWrite(pick(() => true)));
    await writeFile(join(dir, 'types-groups.parquet'), wasmWrite(pick((f) => !hinted(f.type)), new pw.WriterPropertiesBuilder().setMaxRowGroupSize(3).build()));
    // ortq's own part writer (binary columns are not written by ortq)
    const w = createPartWriter(join(dir, 'part.parquet'), 'parquet');
    await w.write(pick((f) => !hinted(f.type) && f.type.typeId !== 4));
    await w.commit();
    // DuckDB: no ARROW:schema, its own logical types, and field ids
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    const sql = `SELECT (i % 100)::TINYINT a, i::SMALLINT b, i::INTEGER c, i::BIGINT d, (i % 200)::UTINYINT e, i::USMALLINT f, i::UINTEGER g, i::UBIGINT h,
      i::FLOAT k, i::DOUBLE l, i::VARCHAR m, i::VARCHAR::BLOB n, i % 2 = 0 o, DATE '2020-01-01' + i::INTEGER p,
      TIMESTAMP '2020-01-01' + INTERVAL (i) SECOND q, (TIMESTAMP '2020-01-01' + INTERVAL (i) SECOND)::TIMESTAMP_MS r,
      (TIMESTAMP '2020-01-01' + INTERVAL (i) SECOND)::TIMESTAMP_NS s, (TIMESTAMP '2020-01-01' + INTERVAL (i) SECOND)::TIMESTAMPTZ t,
      CASE WHEN i % 3 = 0 THEN NULL ELSE i END u FROM range(5000) r(i)`;
    await con.run(`COPY (${sql}) TO '${join(dir, 'duck.parquet')}' (FORMAT parquet, ROW_GROUP_SIZE 2048)`);
    await con.run(`COPY (${sql}) TO '${join(dir, 'duck-ids.parquet')}' (FORMAT parquet, FIELD_IDS auto)`);
    await con.run(`COPY (SELECT i::DECIMAL(10,2) x, [i] y, {'a': i} z FROM range(10) r(i)) TO '${join(dir, 'duck-nested.parquet')}' (FORMAT parquet)`);
    con.closeSync();
    db.closeSync();
    for (const name of (await readdir(dir)).sort()) out[name] = await compare(join(dir, name));
    console.log(JSON.stringify(out));
    for (const n of ['made-plain.parquet', 'empty.parquet', 'types.parquet', 'types-groups.parquet', 'part.parquet', 'duck.parquet', 'duck-ids.parquet']) expect(out[n], n).toBe('footer');
    for (const n of ['made.parquet', 'types-hinted.parquet', 'duck-nested.parquet']) expect(out[n], n).toBe('wasm');
  });

  it('damaged footers: the footer reader answers only as parquet-wasm does, and inspect stays ORTQ_INPUT_CORRUPT', { timeout: 120_000 }, async () => {
    const good = new Uint8Array(await readFile(join(INTEROP, 'parquet', 'nan_in_stats.parquet')));
    const len = new DataView(good.buffer, good.byteOffset).getUint32(good.length - 8, true);
    const start = good.length - 8 - len;
    const seen = new Map<string, number>();
    const path = join(dir, 'flip.parquet');
    for (let pos = start; pos < good.length; pos += 2) {
      const bad = Uint8Array.from(good);
      bad[pos] ^= 0xff;
      await writeFile(path, bad);
      const o = await compare(path, { damaged: true });
      seen.set(o, (seen.get(o) ?? 0) + 1);
      if (o === 'both fail') {
        const err = await inspectInput(await inputFile(path)).catch((e: unknown) => e);
        expect((err as { code?: string }).code).toBe('ORTQ_INPUT_CORRUPT');
        expect((err as Error).message).toContain(path);
      }
    }
    // truncated
    for (const cut of [1, 4, 8, 100, len]) {
      await writeFile(path, good.subarray(0, good.length - cut));
      const answer = await parquetFooterLayout(path);
      expect(answer).toHaveProperty('refused');
      if (cut === 1) expect(answer).toEqual({ refused: 'no PAR1 magic at the end' });
      await expect(inspectInput(await inputFile(path))).rejects.toMatchObject({ code: 'ORTQ_INPUT_CORRUPT' });
    }
    console.log(JSON.stringify([...seen]));
  });

  it('crafted footers: a repeated field and an i32 past 32 bits are read as arrow-rs and DuckDB read them', { timeout: 60_000 }, async () => {
    // nan_in_stats.parquet's footer: the FileMetaData STOP is its last byte, the root's num_children (1) is byte 15
    const good = new Uint8Array(await readFile(join(INTEROP, 'parquet', 'nan_in_stats.parquet')));
    const len = new DataView(good.buffer, good.byteOffset).getUint32(good.length - 8, true);
    const data = good.subarray(0, good.length - 8 - len);
    const meta = good.subarray(good.length - 8 - len, good.length - 8);
    expect([meta[14], meta[15], meta[len - 1]]).toEqual([0x15, 0x02, 0x00]);
    const write = async (name: string, at: number, del: number, ins: number[]) => {
      const m = Uint8Array.from([...meta.subarray(0, at), ...ins, ...meta.subarray(at + del)]);
      const tail = new Uint8Array(8);
      new DataView(tail.buffer).setUint32(0, m.length, true);
      tail.set([0x50, 0x41, 0x52, 0x31], 4);
      const path = join(dir, name);
      await writeFile(path, Uint8Array.from([...data, ...m, ...tail]));
      return path;
    };
    // num_rows (field 3, i64) a second time, 5: arrow-rs (and hyparquet) take the last
    const dup = await write('dup.parquet', len - 1, 0, [0x06, 0x06, 0x0a]);
    expect(await compare(dup)).toBe('footer');
    expect(layoutOf(await parquetFooterLayout(dup)).rows).toBe(5);
    // the root's num_children as the 5-byte varint of 1 + 2^31: arrow-rs rejects the footer (integer overflow);
    // hyparquet keeps the low 32 bits, as DuckDB's Thrift does, and DuckDB reads the file
    const wide = await write('wide.parquet', 15, 1, [0x82, 0x80, 0x80, 0x80, 0x10]);
    await expect(inspectParquetWasm(wide)).rejects.toThrow(/overflow/);
    expect(layoutOf(await parquetFooterLayout(wide)).unitRows).toEqual([2]);
    const batches = await readAll(await inputFile(wide));
    expect(batches.reduce((n, b) => n + b.numRows, 0)).toBe(2);
  });

  it('the bench file (when present) and a plain inspect do not start parquet-wasm', async () => {
    const bench = join(process.cwd(), '.ortq/bench/data-64f-2000000-parquet/part-0000.parquet');
    const files = [join(INTEROP, 'parquet', 'nan_in_stats.parquet'), ...(existsSync(bench) ? [bench] : [])];
    for (const f of files) {
      const before = { ...parquetInspects };
      await inspectInput(await inputFile(f));
      expect(parquetInspects.footer).toBe(before.footer + 1);
      expect(parquetInspects.wasm).toBe(before.wasm);
      expect(await compare(f)).toBe('footer');
    }
  });
});
