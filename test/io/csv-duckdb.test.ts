import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Table, tableToIPC, type RecordBatch } from 'apache-arrow';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { csvReaderSetting, duckDbThreadsSetting } from '../../src/config.js';
import { NUMERIC, parseNumber } from '../../src/io/csv.js';
import { negativeNaN, typedReadable } from '../../src/io/csv-duckdb.js';
import { closeDuckDb, duckDbConnect } from '../../src/io/duckdb-host.js';
import { csvReads, readBatches, type ReadOptions } from '../../src/io/read.js';
import { inputFile, readAll } from './helpers.js';

/**
 * The DuckDB CSV reader against csv-parse (csv.ts), which it replaces: the
 * same batches (boundaries, schema, every buffer's bytes, IPC bytes) for valid
 * files, and the same error (code, message with line and column) for invalid
 * ones, which DuckDB hands over to csv.ts.
 */
const saved = process.env.ORTQ_CSV_READER;
let dir: string;
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'ortq-csv-duck-')); });
afterEach(() => {
  if (saved === undefined) delete process.env.ORTQ_CSV_READER;
  else process.env.ORTQ_CSV_READER = saved;
});
afterAll(async () => { await closeDuckDb(); await rm(dir, { recursive: true, force: true }); });

type Out = RecordBatch[] | string;

type Via = 'duckdb' | 'resumed' | 'js';

async function both(name: string, text: string | Buffer, opts?: ReadOptions): Promise<{ js: Out; duck: Out; via: Via; typed: boolean }> {
  const path = join(dir, `${name}.csv`);
  await writeFile(path, text);
  const file = await inputFile(path);
  const run = async (reader: string): Promise<Out> => {
    process.env.ORTQ_CSV_READER = reader;
    try { return await readAll(file, opts); } catch (e) { return `${(e as { code?: string }).code}: ${(e as Error).message}`; }
  };
  const js = await run('js');
  const before = { ...csvReads };
  const duck = await run('duckdb');
  const via = csvReads.duckdb > before.duckdb ? 'duckdb' : csvReads.resumed > before.resumed ? 'resumed' : 'js';
  return { js, duck, via, typed: csvReads.typed > before.typed };
}

function bytes(v: unknown): string | null {
  if (!v || !ArrayBuffer.isView(v)) return null;
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
}

function expectSame(r: { js: Out; duck: Out }): void {
  if (typeof r.js === 'string' || typeof r.duck === 'string') {
    expect(r.duck).toEqual(r.js);
    return;
  }
  expect(r.duck.map((b) => b.numRows)).toEqual(r.js.map((b) => b.numRows));
  for (let i = 0; i < r.js.length; i++) {
    const [j, d] = [r.js[i], r.duck[i]];
    expect(String(d.schema.fields)).toEqual(String(j.schema.fields));
    j.data.children.forEach((jc, c) => {
      const dc = d.data.children[c];
      const what = `batch ${i} column ${j.schema.fields[c].name}`;
      expect({ what, n: dc.nullCount }).toEqual({ what, n: jc.nullCount });
      expect({ what, values: bytes(dc.values) }).toEqual({ what, values: bytes(jc.values) });
      expect({ what, offsets: bytes(dc.valueOffsets) }).toEqual({ what, offsets: bytes(jc.valueOffsets) });
      expect({ what, validity: bytes(dc.nullBitmap) }).toEqual({ what, validity: bytes(jc.nullBitmap) });
    });
    const ipc = (b: RecordBatch): Buffer => Buffer.from(tableToIPC(new Table([b]), 'stream'));
    expect(ipc(d).equals(ipc(j)), `batch ${i}: IPC bytes`).toBe(true);
  }
}

const BIG = 9007199254740993n;
const rows = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i)).join('\n');

/** files DuckDB reads itself, batch for batch as csv-parse */
const valid: Record<string, string> = {
  floats: `a,b,c\n${rows(50, (i) => `${i * 0.1},${(i - 25) * 1.5e-7},${i % 2 ? '1E5' : '-2.5e+300'}`)}\n`,
  spellings: 'x,y\nNaN,1\n-nan,2\n+NaN,3\ninf,4\n-Infinity,5\n+INF,6\n1e999,7\n-1e999,8\n1e-400,9\n-0,10\n-0.0,11\n.5,12\n1.,13\n+1.5,14\n 2.5 ,15\n0001,16\n',
  ids: `id,v\n${rows(40, (i) => `${BIG + BigInt(i) * 3n},${i}`)}\n-9223372036854775808,1\n9223372036854775807,2\n+5,3\n -0 ,4\n`,
  strings: 'id,s,t\n1,"a, b",plain\n2,"line\nbreak",plain\n3,ü ∑ 😀,"  spaced  "\n4,,x\n5,"",y\n6,"a\r\nb",z\n',
  nulls: `a,b,s,k\n${rows(37, (i) => `${i % 3 ? i : ''},${i % 5 ? `${i}.5` : ''},${i % 7 ? `s${i}` : ''},${i}`)}\n`,
  crlf: 'a,b\r\n1.5,x\r\n2.5,"y\r\nz"\r\n\r\n3,w\r\n',
  bom: '\ufeffa,b\n1,2\n3,4\n',
  noFinalNewline: 'a,b\n1,2\n3,4',
  blankLines: 'a,b\n1,2\n\n3,4\n\n',
  lateText: `a,b\n${rows(1005, (i) => `${i},${i}`)}\n`,
  dupHeader: 'a,a,A\n1,2,3\n',
  quotedHeader: '"x\ny",b\n1,2\n',
  // the typed query: NaN and infinity spellings without spaces, a -nan among them (its NaN made JS's)
  typedSpellings: 'x,y\nNaN,1\n-nan,2\n+NaN,3\ninf,4\n-Infinity,5\n+INF,6\n-NAN,7\n-0,10\n-0.0,11\n.5,12\n1.,13\n+1.5,14\n0001,16\n"2.5",17\n,18\n"",19\n',
  // typed spellings in a string column keep the file from the typed query, read carefully
  stringSpellings: 'a,s\n1.5,x+-1\n2.5,nan(1)\n3.5,1_000\n4.5,-nan\n',
};

/**
 * files DuckDB starts on and hands over to csv-parse, which reads on and ends
 * as it does alone (mostly in csv.ts's error): past the 1000 rows csv.ts
 * infers from, so that the inference does not fail first
 */
const prefix = (n = 1003) => `a,b\n${rows(n, (i) => `${i}.5,s${i}`)}\n`;
const iprefix = (n = 1003) => `a,b\n${rows(n, (i) => `${i},s${i}`)}\n`;
const invalid: Record<string, string | Buffer> = {
  badFloat: `${prefix()}xyz,1\n`,
  hex: `${prefix()}0x1f,2\n`,
  underscore: `${iprefix()}1_000,2\n`,
  halfInt: `${iprefix()}12.5,1\n`,
  overflow: `${iprefix()}9223372036854775808,2\n`,
  exponentInt: `${iprefix()}1e3,2\n`,
  unicodeSpace: `${prefix()}\u00a01.5,2\n`,
  short: `${prefix()}7\n`,
  long: `${prefix()}1,2,3\n`,
  middleEmpty: `${prefix()}1,,2\n`,
  // past the first MB: csv-parse, inferring from the first 1000 rows, parses its first 1 MB read
  unquotedQuote: `${prefix(120_000)}2,ab"c"d\n`,
  quotedQuotes: `${prefix()}2,"he said ""hi"" ok"\n`,
  quoteAfter: `${prefix()}1,"ab"c\n`,
  mixedEndings: `${prefix()}1,x\r\n2,y\n`,
  lateCr: `${prefix()}1,x\r2,y\n`,
  trailingSpace: `${prefix()}1,2, \n`,
  ws: `${prefix()}1,2\n \n`,
  badUtf8: Buffer.concat([Buffer.from(`${prefix()}1,`), Buffer.from([0xc3, 0x28]), Buffer.from('\n')]),
};

/** files DuckDB would read more leniently than csv-parse: csv-parse reads them from the start */
const kept: Record<string, string> = {
  trailingComma: 'a,b\n1,2,\n',
  trailingEmptyQuoted: 'a,b\n1,2,""\n',
  trailingAtEnd: 'a,b\n1,2\n3,4,',
  emptyLastCell: 'a,b\n1,\n2,3\n',
  emptyLastCellCrlf: 'a,b\r\n1,x\r\n2,\r\n',
  leadingBlank: '\n\na,b\n1,2\n',
  oneColumn: 'a\n1\n\n2\n',
  headerOnly: 'a,b\n',
  unterminated: `${prefix()}1,"abc\n`,
  unquotedQuoteOdd: `${prefix()}2,ab"c\n`,
  unterminatedLong: `${prefix()}1,"abc\n2,x\n3,y\n`,
  unterminatedNoNewline: `${prefix()}1,"abc`,
};

describe('CSV through DuckDB vs csv-parse', () => {
  for (const [name, text] of Object.entries(valid)) {
    it(`${name}: read by DuckDB, the same batches`, async () => {
      const r = await both(name, text, { batchSize: 7 });
      expectSame(r);
      expect(typeof r.js).not.toBe('string');
      expect(r.via).toBe('duckdb');
    });
  }
  it('the typed query reads files with Float64 columns, unless a spelling it reads differently is in the file', async () => {
    // a 1.5 MB line across the end of DuckDB's first 2 MB read buffer (its line limit is 2 MB)
    const longLine = `a,s\n${rows(100_000, (i) => `${i}.5,x`)}\n2.5,${'y'.repeat(1_500_000)}\n3.5,z\n`;
    const files = { ...valid, longLine };
    for (const [name, typed] of [['typedSpellings', true], ['floats', true], ['spellings', true], ['longLine', true], ['nulls', true], ['stringSpellings', false], ['ids', false], ['strings', false]] as const) {
      const r = await both(name, files[name], { batchSize: 10_000 });
      expectSame(r);
      expect({ name, typed: r.typed }).toEqual({ name, typed });
    }
    // and a projection without them reads carefully
    const r = await both('floatsProjected', 'a,b,s\n1.5,2,x\n2.5,3,y\n', { columns: ['b', 's'] });
    expectSame(r);
    expect(r.typed).toBe(false);
  });
  it("DuckDB's DOUBLE parser accepts only cells csv.ts accepts, with the same value, but for the spellings the byte scan keeps from it", async () => {
    // about 40k strings: every one of up to 3 characters of a number's alphabet (and a few others), random
    // numbers in every notation with spaces and signs around them, the NaN and infinity spellings in every case
    const alphabet = ['0', '1', '9', '.', 'e', 'E', '+', '-', 'n', 'a', 'N', 'i', 'f', 't', 'y', 'I', 'x', '_', '(', ')', ' ', '\t', 'd', '\v'];
    const cands = new Set<string>();
    const rec = (p: string, d: number): void => { cands.add(p); if (d > 0) for (const c of alphabet) rec(p + c, d - 1); };
    rec('', 3);
    let seed = 7;
    const rnd = (): number => { seed = (seed + 0x6d2b79f5) | 0; let t = Math.imul(seed ^ (seed >>> 15), 1 | seed); t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t; return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
    const pick = <T>(a: readonly T[] | string): T | string => a[Math.floor(rnd() * a.length)];
    const digits = (n: number): string => Array.from({ length: n }, () => pick('0123456789')).join('');
    for (let i = 0; i < 20_000; i++) {
      const x = (rnd() - 0.5) * 10 ** Math.floor(rnd() * 40 - 20);
      const forms = [String(x), x.toExponential(Math.floor(rnd() * 20)), x.toFixed(Math.floor(rnd() * 20)), String(Math.fround(x)),
        `${digits(1 + Math.floor(rnd() * 30))}.${digits(Math.floor(rnd() * 30))}e${pick(['', '+', '-'])}${Math.floor(rnd() * 400)}`,
        String(rnd() * 1e-310), `1e${Math.floor(rnd() * 700 - 350)}`, `${digits(3)}_${digits(3)}`];
      const s = pick(forms) as string;
      const ws = ['', '', ' ', '\t', '\u00a0', '\f'];
      cands.add(pick(ws) + (s.startsWith('-') ? s : pick(['', '', '-', '+', '+-']) + s) + pick(ws));
    }
    for (const base of ['nan', 'inf', 'infinity', 'infinit', 'nan()', 'nan(1)', 'nan(', 'snan']) {
      for (let m = 0; m < 64; m++) {
        const s = [...base].map((c, i) => ((m >> (i % 6)) & 1 ? c.toUpperCase() : c)).join('');
        for (const g of ['', '+', '-', '+-']) cands.add(g + s);
      }
    }
    const all = [...cands];
    const quote = (s: string): string => (/[\r\n",]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
    const path = join(dir, 'parsers.csv');
    await writeFile(path, `v,i\n${all.map((s, i) => `${quote(s)},${i}`).join('\n')}\n`);
    const { con } = await duckDbConnect('csv');
    let rowsBack: unknown[][];
    try {
      // csv-duckdb.ts's options, the rows DuckDB refuses left out
      const result = await con.runAndReadAll(`SELECT i, v, signbit(v) FROM read_csv('${path}', columns = {'v': 'DOUBLE', 'i': 'BIGINT'}, auto_detect = false, header = true, `
        + `buffer_size = ${2 << 20}, max_line_size = ${2 << 20}, delim = ',', quote = '"', escape = '"', null_padding = false, strict_mode = true, ignore_errors = true)`);
      rowsBack = result.getRows();
    } finally {
      con.closeSync();
    }
    const seen = { accepted: 0, kept: 0, nan: 0 };
    const problems: string[] = [];
    for (const [i, v, sign] of rowsBack) {
      const s = all[Number(i)];
      seen.accepted++;
      if (s === '') { if (v !== null) problems.push(`"" read as ${String(v)}`); continue; }
      if (!typedReadable(Buffer.from(s))) { seen.kept++; continue; }
      if (!NUMERIC.test(s)) { problems.push(`${JSON.stringify(s)}: DuckDB reads ${String(v)}, csv.ts rejects it`); continue; }
      const want = parseNumber(s);
      if (Number.isNaN(want)) {
        seen.nan++;
        if (!Number.isNaN(v) || (sign === true && !negativeNaN(Buffer.from(s)))) problems.push(`${JSON.stringify(s)}: DuckDB reads ${String(v)}, sign ${String(sign)}`);
      } else if (!Object.is(v, want)) {
        problems.push(`${JSON.stringify(s)}: DuckDB reads ${String(v)}, csv.ts ${want}`);
      }
    }
    expect(problems).toEqual([]);
    // the comparison compared: most numbers read, the known spellings among them
    expect(seen.accepted).toBeGreaterThan(10_000);
    expect(seen.kept).toBeGreaterThan(100);
    expect(seen.nan).toBeGreaterThan(20);
  });
  it('a projection, and batches larger than DuckDB chunks', async () => {
    const text = `id,f,s,g\n${rows(5000, (i) => `${BIG + BigInt(i)},${Math.sin(i)},${i % 11 ? `r${i}` : ''},${i % 13 ? i / 8 : 'NaN'}`)}\n`;
    for (const opts of [{ batchSize: 3000 }, { batchSize: 2048 }, { columns: ['g', 'id'], batchSize: 4999 }, {}]) {
      const r = await both('big', text, opts);
      expectSame(r);
      expect(r.via).toBe('duckdb');
    }
  });
  for (const [name, text] of Object.entries(invalid)) {
    it(`${name}: handed over to csv.ts, which ends as alone`, async () => {
      const r = await both(name, text, { batchSize: 400 });
      expectSame(r);
      expect(r.via).toBe('resumed');
    });
  }
  for (const [name, text] of Object.entries(kept)) {
    it(`${name}: read by csv-parse alone`, async () => {
      const r = await both(name, text, { batchSize: 4 });
      expectSame(r);
      expect(r.via).toBe('js');
    });
  }
  it('a bad cell after batches were handed out: csv-parse reads on from there, same batches then the same error', async () => {
    const text = `a,b\n${rows(120_000, (i) => `${i}.25,${i}`)}\n1.5.5,1\n`;
    const path = join(dir, 'late.csv');
    await writeFile(path, text);
    const file = await inputFile(path);
    // batch by batch (readAll would throw them away with the error)
    const collect = async (reader: string) => {
      process.env.ORTQ_CSV_READER = reader;
      const got: RecordBatch[] = [];
      let err = '';
      try { for await (const b of readBatches(file, { batchSize: 5000 })) got.push(b); } catch (e) { err = (e as Error).message; }
      return { got, err };
    };
    const js = await collect('js');
    expect(js.err).toMatch(/line 120002, column "a": "1.5.5" is not a number/);
    expect(js.got.length).toBeGreaterThan(0);
    const before = csvReads.resumed;
    const duck = await collect('duckdb');
    expect(duck.err).toBe(js.err);
    expect(csvReads.resumed).toBe(before + 1);
    // the batches handed out before the error: DuckDB's, then csv-parse's from where it stopped
    expect(duck.got.map((b) => b.numRows)).toEqual(js.got.map((b) => b.numRows));
    const ipcOf = (b: RecordBatch) => Buffer.from(tableToIPC(new Table([b]), 'stream'));
    js.got.forEach((b, i) => expect(ipcOf(duck.got[i]).equals(ipcOf(b)), `batch ${i}`).toBe(true));
  });
  it('ORTQ_DUCKDB_THREADS=2: DuckDB parses on two threads and the batches are the one-thread ones, in file order, byte for byte', async () => {
    // 8 MB: several of DuckDB's 2 MB CSV buffers, so both threads get a part of the file
    // (the last column never empty: a trailing empty field keeps a file from DuckDB)
    const typed = `id,y,s,x\n${rows(200_000, (i) => `${i},${i % 17 ? (i * 1e-3).toFixed(4) : ''},${i % 7 ? `r${i}` : ''},${Math.sin(i)}`)}\n`;
    const bad = `a,b\n${rows(200_000, (i) => `${i}.25,${i}`)}\n1.5.5,1\n`;
    const threads = process.env.ORTQ_DUCKDB_THREADS;
    const runs: Record<string, { duck: Out; via: Via; typed: boolean }> = {};
    try {
      for (const t of ['1', '2']) {
        await closeDuckDb();
        process.env.ORTQ_DUCKDB_THREADS = t;
        runs[`typed${t}`] = await both(`threads-typed-${t}`, typed, { batchSize: 16384 });
        runs[`bad${t}`] = await both(`threads-bad-${t}`, bad, { batchSize: 5000 });
      }
    } finally {
      await closeDuckDb();
      if (threads === undefined) delete process.env.ORTQ_DUCKDB_THREADS;
      else process.env.ORTQ_DUCKDB_THREADS = threads;
    }
    for (const t of ['1', '2']) {
      expect(runs[`typed${t}`].via).toBe('duckdb');
      expect(runs[`typed${t}`].typed).toBe(true);
      expectSame({ js: runs.typed1.duck, duck: runs[`typed${t}`].duck });
      // a bad cell: DuckDB stops, csv-parse reads on and ends in csv.ts's error, named by line
      expect(runs[`bad${t}`].via).toBe('resumed');
      expect(runs[`bad${t}`].duck).toMatch(/line 200002, column "a": "1.5.5" is not a number/);
    }
  });
  it('ORTQ_CSV_READER is checked: a wrong value is ORTQ_CONFIG_INVALID', () => {
    expect(csvReaderSetting({})).toBe('duckdb');
    expect(csvReaderSetting({ ORTQ_CSV_READER: 'js' })).toBe('js');
    expect(() => csvReaderSetting({ ORTQ_CSV_READER: 'polars' })).toThrow(/ORTQ_CSV_READER="polars"/);
  });
  for (const variable of ['ORTQ_DUCKDB_THREADS', 'ORTQ_DUCKDB_CSV_THREADS']) {
    it(`a wrong ${variable} fails a CSV read with ORTQ_CONFIG_INVALID naming it (as a Parquet one), not silently read by csv-parse`, async () => {
      const path = join(dir, `threads-${variable}.csv`);
      await writeFile(path, 'a,b\n1,2\n');
      const threads = process.env[variable];
      await closeDuckDb();
      process.env[variable] = '0';
      process.env.ORTQ_CSV_READER = 'duckdb';
      try {
        const err = await readAll(await inputFile(path)).catch((e: unknown) => e);
        expect((err as { code?: string }).code).toBe('ORTQ_CONFIG_INVALID');
        expect((err as Error).message).toBe(`${variable}="0" is not a positive integer`);
      } finally {
        if (threads === undefined) delete process.env[variable];
        else process.env[variable] = threads;
      }
    });
  }
  it('DuckDB reads CSV on 2 threads and Parquet on 1 by default; the per-format variables override ORTQ_DUCKDB_THREADS', () => {
    expect(duckDbThreadsSetting('csv', {})).toBe(2);
    expect(duckDbThreadsSetting('parquet', {})).toBe(1);
    expect(duckDbThreadsSetting('csv', { ORTQ_DUCKDB_THREADS: '1' })).toBe(1);
    expect(duckDbThreadsSetting('parquet', { ORTQ_DUCKDB_THREADS: '3' })).toBe(3);
    expect(duckDbThreadsSetting('csv', { ORTQ_DUCKDB_THREADS: '1', ORTQ_DUCKDB_CSV_THREADS: '2' })).toBe(2);
    expect(duckDbThreadsSetting('csv', { ORTQ_DUCKDB_PARQUET_THREADS: '4' })).toBe(2);
    // every variable set is checked, whichever decides
    expect(() => duckDbThreadsSetting('csv', { ORTQ_DUCKDB_PARQUET_THREADS: '-1' })).toThrow('ORTQ_DUCKDB_PARQUET_THREADS="-1" is not a positive integer');
    expect(() => duckDbThreadsSetting('csv', { ORTQ_DUCKDB_THREADS: '1.5', ORTQ_DUCKDB_CSV_THREADS: '2' })).toThrow('ORTQ_DUCKDB_THREADS="1.5" is not a positive integer');
  });
});
