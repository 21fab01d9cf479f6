import { open } from 'node:fs/promises';
import type { Field, RecordBatch } from 'apache-arrow';
import type { CsvLayout } from './csv.js';
import { D, streamDuckDbBatches } from './duckdb-batches.js';
import type { SharedReadPool } from './shared-pool.js';

/**
 * CSV through DuckDB's native reader, with ortq's own semantics: the types are
 * csv.ts's inference (its first CSV_INFER_ROWS rows, read by csv-parse), and
 * DuckDB reads every column as VARCHAR (no sniffing) with ortq's dialect
 * (`,`, `"` quoted and doubled, a header line). Each cell is checked in SQL
 * against exactly the syntax csv.ts accepts for its column, then cast. A cell
 * csv.ts would reject, and any structural problem, makes the query fail
 * (`error()`; seen through streamDuckDbBatches's end marker, as node-api's
 * streaming fetch ends a failed query silently), and read.ts hands the rest
 * of the file to csv.ts from the first row not yet handed out, so errors are
 * csv.ts's own, naming the line.
 *
 * DuckDB is more lenient than csv-parse in a few places, which are kept away
 * from it here (csvDuckDbPlan returns null, and csv.ts reads the whole file):
 * - a row with trailing empty fields past the header's count (`1,2,` or
 *   `1,2,""` for two columns) reads as a full row, where csv-parse fails: any
 *   file holding a delimiter or `""` right before a line break or the end;
 * - blank lines before the header are taken for the header;
 * - in a one-column file a blank line is a null row (csv-parse skips it);
 * - an unquoted `"` inside a field (`ab"c`) is a literal (csv-parse fails):
 *   a string cell holding `"` fails the query instead;
 * - a quote left open at the end of the file: DuckDB's streaming result drops
 *   that last record silently (the materialised query fails). Every well-formed
 *   CSV holds an even number of `"`, so a file with an odd number is csv.ts's.
 */

/** csv.ts's NUMERIC, decimal part (RE2 `\s` is ASCII whitespace only: stricter, so safe) */
const DECIMAL = String.raw`\s*[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)\s*`;
/** csv.ts's NUMERIC, the NaN and infinity spellings (case-insensitive) */
const SPECIAL = String.raw`\s*[+-]?(?:nan|inf|infinity)\s*`;
/** csv.ts's INTEGER */
const INTEGER = String.raw`\s*[+-]?\d+\s*`;

const lit = (s: string): string => `'${s.replaceAll("'", "''")}'`;

export interface CsvDuckDbPlan {
  sql: string;
  path: string;
  fields: Field[];
  duckTypes: number[];
}

function cellSql(col: string, layout: CsvLayout, c: number): { expr: string; duck: number } {
  const empty = `${col} IS NULL OR ${col} = ''`;
  const bad = `error('ortq: the cell of column ${c} fails ortq''s CSV rules')`;
  if (layout.integer[c]) {
    return { expr: `CASE WHEN ${empty} THEN NULL WHEN regexp_full_match(${col}, ${lit(INTEGER)}) THEN CAST(${col} AS BIGINT) ELSE ${bad} END`, duck: D.BIGINT };
  }
  if (layout.numeric[c]) {
    // csv.ts: NaN for every nan spelling (one NaN, whatever the sign), ±Infinity for inf/infinity
    const special = `CASE WHEN contains(lower(${col}), 'nan') THEN 'NaN'::DOUBLE WHEN contains(${col}, '-') THEN '-inf'::DOUBLE ELSE 'inf'::DOUBLE END`;
    return {
      expr: `CASE WHEN ${empty} THEN NULL WHEN regexp_full_match(${col}, ${lit(DECIMAL)}) THEN CAST(${col} AS DOUBLE) `
        + `WHEN regexp_full_match(${col}, ${lit(SPECIAL)}, 'i') THEN ${special} ELSE ${bad} END`,
      duck: D.DOUBLE,
    };
  }
  return { expr: `CASE WHEN ${empty} THEN NULL WHEN contains(${col}, '"') THEN ${bad} ELSE ${col} END`, duck: D.VARCHAR };
}

/**
 * The query reading `columns` (all when absent) of a CSV file laid out as
 * `layout` says, or null when DuckDB cannot read this file as csv-parse does
 * (see above; also a header-only file, a path DuckDB would glob).
 */
export async function csvDuckDbPlan(path: string, layout: CsvLayout, columns?: string[]): Promise<CsvDuckDbPlan | null> {
  const all = layout.schema.fields.map((f) => f.name);
  if (layout.rows === 0 || all.length < 2 || /[*?[\]{}]/.test(path) || path.includes('\0')) return null;
  if (!(await plainLayout(path))) return null;
  const picked = columns ? columns.map((n) => all.indexOf(n)) : all.map((_, i) => i);
  if (picked.length === 0 || picked.some((i) => i < 0)) return null;
  // DuckDB's own names for the columns: the header's names may repeat, or differ only by case
  const decl = all.map((_, i) => `'c${i}': 'VARCHAR'`).join(', ');
  const cells = picked.map((c) => cellSql(`c${c}`, layout, c));
  const sql = `SELECT ${cells.map((x) => x.expr).join(', ')} FROM read_csv($1, columns = {${decl}}, auto_detect = false, header = true, `
    + `delim = ',', quote = '"', escape = '"', null_padding = false, strict_mode = true, ignore_errors = false, `
    + `encoding = 'utf-8', filename = false, hive_partitioning = false)`;
  const fields = picked.map((c) => layout.schema.fields[c] as Field);
  return { sql, path, fields, duckTypes: cells.map((x) => x.duck) };
}

const NL = [0x0a, 0x0d];
const COMMA = 0x2c;
const QUOTE = 0x22;

/**
 * One pass over the bytes (native searches, no parsing): false when the file
 * starts with a blank line, holds a delimiter or `""` right before a line
 * break or the end, or an odd number of `"` (see above).
 */
async function plainLayout(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    const patterns = [',\n', ',\r', '""\n', '""\r'].map((p) => Buffer.from(p));
    let pos = 0;
    let keep = 0;
    let first = true;
    let quotes = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, keep, buf.length - keep, pos);
      pos += bytesRead;
      const len = keep + bytesRead;
      const view = buf.subarray(0, len);
      if (first) {
        first = false;
        const start = view[0] === 0xef && view[1] === 0xbb && view[2] === 0xbf ? 3 : 0;
        if (len === start || NL.includes(view[start])) return false;
      }
      if (patterns.some((p) => view.indexOf(p) >= 0)) return false;
      // quotes of the bytes read this time (the kept ones were counted before)
      for (let i = view.indexOf(QUOTE, keep); i >= 0; i = view.indexOf(QUOTE, i + 1)) quotes++;
      if (bytesRead === 0) {
        return quotes % 2 === 0 && !(len > 0 && (view[len - 1] === COMMA || (len > 1 && view[len - 1] === QUOTE && view[len - 2] === QUOTE)));
      }
      // the last two bytes may start a pattern that the next read ends
      keep = Math.min(2, len);
      buf.copyWithin(0, len - keep, len);
    }
  } finally {
    await fh.close();
  }
}

export function readCsvDuckDb(plan: CsvDuckDbPlan, batchSize: number, pool?: SharedReadPool): AsyncGenerator<RecordBatch> {
  return streamDuckDbBatches({
    sql: plan.sql, params: [plan.path], fields: plan.fields, duckTypes: plan.duckTypes, groupRows: null,
    // as csv.ts builds its batches: NaN under a null float, validity bits past the last row set
    nulls: { nullDouble: 'nan', tailBits: 1, utf8: 'builder' },
  }, batchSize, pool);
}
