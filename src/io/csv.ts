import { createReadStream } from 'node:fs';
import { parse, type Info } from 'csv-parse';
import {
  Field, Float64, makeData, RecordBatch, Schema, Struct, Utf8, vectorFromArray, type Data,
} from 'apache-arrow';
import { OrtqError } from '../errors.js';

/** Data rows looked at to decide whether a column is numeric. */
export const CSV_INFER_ROWS = 1000;
/**
 * A decimal number, optionally signed, with exponent; also NaN and Infinity.
 * Deliberately not `Number(s)`: that takes '', ' ', '0x1f' and '1_000'-free hex as numbers.
 */
const NUMERIC = /^\s*[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|nan|inf|infinity)\s*$/i;

/** A header line plus inference: which columns are Float64 and which Utf8. */
export interface CsvLayout {
  schema: Schema;
  numeric: boolean[];
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

function parseNumber(s: string): number {
  const t = s.trim().toLowerCase().replace(/^\+/, '');
  if (t === 'nan' || t === '-nan') return NaN;
  if (t === 'inf' || t === 'infinity') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  return Number(t);
}

/**
 * Reads the header and up to CSV_INFER_ROWS rows. A column is Float64 when it
 * has at least one non-empty cell in that window and every non-empty cell is a
 * number (integers too: one numeric type keeps features simple and exact up to
 * 2^53); otherwise Utf8. Empty cells are nulls.
 */
export async function inferCsvLayout(path: string): Promise<CsvLayout> {
  const { parser, close } = openParser(path);
  let header: string[] | null = null;
  let seen: boolean[] = [];
  let numeric: boolean[] = [];
  let rows = 0;
  try {
    for await (const { record } of parser) {
      if (!header) {
        header = record;
        seen = header.map(() => false);
        numeric = header.map(() => true);
        continue;
      }
      for (let c = 0; c < header.length; c++) {
        const v = record[c];
        if (v === undefined || v === '') continue;
        seen[c] = true;
        if (numeric[c] && !NUMERIC.test(v)) numeric[c] = false;
      }
      if (++rows >= CSV_INFER_ROWS) break;
    }
  } finally {
    close();
  }
  if (!header) throw new Error('the file is empty: a CSV input needs a header line');
  const isNum = numeric.map((n, c) => n && seen[c]);
  const fields = header.map((name, c) => new Field(name, isNum[c] ? new Float64() : new Utf8(), true));
  return { schema: new Schema(fields), numeric: isNum };
}

/**
 * Streams a CSV file as record batches of `batchSize` rows, typed by
 * inferCsvLayout. A non-numeric cell in a numeric column fails with
 * ORTQ_INPUT_CORRUPT naming the line and column.
 */
export async function* readCsvBatches(
  path: string,
  layout: CsvLayout,
  opts: { columns?: string[]; batchSize: number },
): AsyncGenerator<RecordBatch> {
  const all = layout.schema.fields.map((f) => f.name);
  const picked = opts.columns ? opts.columns.map((n) => all.indexOf(n)) : all.map((_, i) => i);
  const fields = picked.map((i) => layout.schema.fields[i]);
  const schema = new Schema(fields);
  const bs = opts.batchSize;
  const cols = picked.map((i) => (layout.numeric[i] ? new Float64Array(bs) : new Array<string | null>(bs)));
  const nulls = picked.map(() => new Uint8Array((bs + 7) >> 3));
  const nullCounts = picked.map(() => 0);
  let n = 0;

  const flush = (): RecordBatch => {
    const children: Data[] = picked.map((_src, k) => {
      const col = cols[k];
      if (col instanceof Float64Array) {
        const nc = nullCounts[k];
        return makeData({
          type: new Float64(), length: n, nullCount: nc,
          nullBitmap: nc > 0 ? nulls[k].slice(0, (n + 7) >> 3) : undefined,
          data: col.slice(0, n),
        });
      }
      return vectorFromArray(col.slice(0, n), new Utf8()).data[0];
    });
    const batch = new RecordBatch(schema, makeData({ type: new Struct(fields), length: n, nullCount: 0, children }));
    n = 0;
    for (let k = 0; k < picked.length; k++) { nulls[k].fill(0xff); nullCounts[k] = 0; }
    return batch;
  };
  for (const m of nulls) m.fill(0xff);

  const { parser, close } = openParser(path);
  let first = true;
  try {
    for await (const { record, info } of parser) {
      if (first) { first = false; continue; }
      for (let k = 0; k < picked.length; k++) {
        const c = picked[k];
        const v = record[c];
        const col = cols[k];
        if (v === undefined || v === '') {
          nulls[k][n >> 3] &= ~(1 << (n & 7));
          nullCounts[k]++;
          if (col instanceof Float64Array) col[n] = NaN;
          else col[n] = null;
        } else if (col instanceof Float64Array) {
          if (!NUMERIC.test(v)) {
            throw new OrtqError(
              'ORTQ_INPUT_CORRUPT',
              `${path}: line ${info.lines}, column "${all[c]}": "${v.length > 40 ? v.slice(0, 40) + '…' : v}" is not a number, but the column is numeric (from its first rows)`,
              { path, line: info.lines, column: all[c] },
            );
          }
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
