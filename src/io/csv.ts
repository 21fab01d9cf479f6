import { createReadStream } from 'node:fs';
import { fileVersionCache } from '../fs/version-cache.js';
import { parse, type Info } from 'csv-parse';
import {
  Field, Float64, Int64, makeData, Null, RecordBatch, Schema, Struct, Utf8, vectorFromArray, type Data,
} from 'apache-arrow';
import { OrtqError } from '../errors.js';
import { recordBatch } from './record-batch.js';

/** Data rows looked at to decide whether a column is numeric. */
export const CSV_INFER_ROWS = 1000;
/**
 * A decimal number, optionally signed, with exponent; also NaN and Infinity.
 * Deliberately not `Number(s)`: that takes '', ' ', '0x1f' and '1_000'-free hex as numbers.
 */
export const NUMERIC = /^\s*[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|nan|inf|infinity)\s*$/i;

/** Whole numbers: inferred as Int64, so ids above 2^53 keep every digit. */
const INTEGER = /^\s*[+-]?\d+\s*$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** The cell as an int64, or null when it is not a whole number in int64's range. */
function parseInt64(s: string): bigint | null {
  if (!INTEGER.test(s)) return null;
  const b = BigInt(s.trim());
  return b < INT64_MIN || b > INT64_MAX ? null : b;
}

/**
 * A header line plus inference: which columns are Int64, Float64 or Utf8, and
 * Null for every column of a header-only file (no values to infer from; a
 * Null column fits any model input, as a zero-row Parquet column would).
 */
export interface CsvLayout {
  schema: Schema;
  numeric: boolean[];
  /** numeric columns whose cells were all whole numbers in int64's range */
  integer: boolean[];
  /** data rows read to infer the layout: the whole file when below CSV_INFER_ROWS */
  rows: number;
}

type CsvRecord = { record: string[]; info: Info };

function openParser(path: string): { parser: AsyncIterable<CsvRecord>; close: () => void } {
  const input = createReadStream(path, { highWaterMark: 1 << 20 });
  const parser = parse({ bom: true, info: true, skip_empty_lines: true, relax_quotes: false });
  input.on('error', (err) => parser.destroy(err));
  input.pipe(parser);
  return {
    parser: parser as unknown as AsyncIterable<CsvRecord>,
    close: () => { input.destroy(); parser.destroy(); },
  };
}

export function parseNumber(s: string): number {
  const t = s.trim().toLowerCase().replace(/^\+/, '');
  if (t === 'nan' || t === '-nan') return NaN;
  if (t === 'inf' || t === 'infinity') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  return Number(t);
}

/**
 * Reads the header and up to CSV_INFER_ROWS rows. A column is Int64 when it
 * has at least one non-empty cell in that window and every non-empty cell is a
 * whole number in int64's range; Float64 when every one is a number; otherwise
 * Utf8. Empty cells are nulls. A file with no data rows has Null columns.
 */
export async function inferCsvLayout(path: string): Promise<CsvLayout> {
  const { parser, close } = openParser(path);
  let header: string[] | null = null;
  let seen: boolean[] = [];
  let numeric: boolean[] = [];
  let integer: boolean[] = [];
  let rows = 0;
  try {
    for await (const { record } of parser) {
      if (!header) {
        header = record;
        seen = header.map(() => false);
        numeric = header.map(() => true);
        integer = header.map(() => true);
        continue;
      }
      for (let c = 0; c < header.length; c++) {
        const v = record[c];
        if (v === undefined || v === '') continue;
        seen[c] = true;
        if (numeric[c] && !NUMERIC.test(v)) numeric[c] = false;
        if (integer[c] && (!numeric[c] || parseInt64(v) === null)) integer[c] = false;
      }
      if (++rows >= CSV_INFER_ROWS) break;
    }
  } finally {
    close();
  }
  if (!header) throw new Error('the file is empty: a CSV input needs a header line');
  const isNum = numeric.map((n, c) => n && seen[c]);
  const isInt = integer.map((n, c) => n && isNum[c]);
  const type = (c: number) => (rows === 0 ? new Null() : isInt[c] ? new Int64() : isNum[c] ? new Float64() : new Utf8());
  const fields = header.map((name, c) => new Field(name, type(c), true));
  return { schema: new Schema(fields), numeric: isNum, integer: isInt, rows };
}

/**
 * inferCsvLayout, once per path, size, mtime and inode in this process: the
 * planner and the reader of the same file (a local run) share it. Inference
 * parses the first MBs of a wide file with csv-parse: 0.1–0.2 CPU-s each time
 * for the bench's 64-column file.
 */
export const csvLayout: (path: string) => Promise<CsvLayout> = fileVersionCache(32, inferCsvLayout);

function cellError(path: string, line: number, column: string, v: string, what: string): OrtqError {
  return new OrtqError(
    'ORTQ_INPUT_CORRUPT',
    `${path}: line ${line}, column "${column}": "${v.length > 40 ? v.slice(0, 40) + '…' : v}" ${what}`,
    { path, line, column },
  );
}

/**
 * Streams a CSV file as record batches of `batchSize` rows, typed by
 * inferCsvLayout. A non-numeric cell in a numeric column, or a cell that is
 * not an int64 in an Int64 column, fails with ORTQ_INPUT_CORRUPT naming the
 * line and column. `skipRows` data rows are passed over unread (the rows
 * another reader already handed out: see read.ts).
 */
export async function* readCsvBatches(
  path: string,
  layout: CsvLayout,
  opts: { columns?: string[]; batchSize: number; skipRows?: number },
): AsyncGenerator<RecordBatch> {
  const all = layout.schema.fields.map((f) => f.name);
  const picked = opts.columns ? opts.columns.map((n) => all.indexOf(n)) : all.map((_, i) => i);
  const fields = picked.map((i) => layout.schema.fields[i]);
  const schema = new Schema(fields);
  const bs = opts.batchSize;
  const cols = picked.map((i) => (layout.integer[i] ? new BigInt64Array(bs) : layout.numeric[i] ? new Float64Array(bs) : new Array<string | null>(bs)));
  const nulls = picked.map(() => new Uint8Array((bs + 7) >> 3));
  const nullCounts = picked.map(() => 0);
  let n = 0;

  const flush = (): RecordBatch => {
    const children: Data[] = picked.map((_src, k) => {
      const col = cols[k];
      const nc = nullCounts[k];
      const nullBitmap = nc > 0 ? nulls[k].slice(0, (n + 7) >> 3) : undefined;
      if (col instanceof Float64Array) return makeData({ type: new Float64(), length: n, nullCount: nc, nullBitmap, data: col.slice(0, n) });
      if (col instanceof BigInt64Array) return makeData({ type: new Int64(), length: n, nullCount: nc, nullBitmap, data: col.slice(0, n) });
      return vectorFromArray(col.slice(0, n), new Utf8()).data[0];
    });
    const batch = recordBatch(schema, makeData({ type: new Struct(fields), length: n, nullCount: 0, children }));
    n = 0;
    for (let k = 0; k < picked.length; k++) { nulls[k].fill(0xff); nullCounts[k] = 0; }
    return batch;
  };
  for (const m of nulls) m.fill(0xff);

  const { parser, close } = openParser(path);
  let first = true;
  let skip = opts.skipRows ?? 0;
  try {
    for await (const { record, info } of parser) {
      if (first) { first = false; continue; }
      if (skip > 0) { skip--; continue; }
      for (let k = 0; k < picked.length; k++) {
        const c = picked[k];
        const v = record[c];
        const col = cols[k];
        if (v === undefined || v === '') {
          nulls[k][n >> 3] &= ~(1 << (n & 7));
          nullCounts[k]++;
          if (col instanceof Float64Array) col[n] = NaN;
          else if (col instanceof BigInt64Array) col[n] = 0n;
          else col[n] = null;
        } else if (col instanceof BigInt64Array) {
          const b = parseInt64(v);
          if (b === null) {
            throw cellError(path, info.lines, all[c], v, `is not a whole number in int64's range, but the column is integer (from its first ${CSV_INFER_ROWS} rows)`);
          }
          col[n] = b;
        } else if (col instanceof Float64Array) {
          if (!NUMERIC.test(v)) throw cellError(path, info.lines, all[c], v, 'is not a number, but the column is numeric (from its first rows)');
          col[n] = parseNumber(v);
        } else {
          col[n] = v;
        }
      }
      if (++n === bs) yield flush();
    }
    if (n > 0) yield flush();
  } finally {
    close();
  }
}
