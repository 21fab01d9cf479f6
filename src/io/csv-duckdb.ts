import { open } from 'node:fs/promises';
import type { Field, RecordBatch } from 'apache-arrow';
import type { CsvLayout } from './csv.js';
import { D, streamDuckDbBatches } from './duckdb-batches.js';
import type { SharedReadPool } from './shared-pool.js';

/**
 * CSV through DuckDB's native reader, with ortq's own semantics: the types are
 * csv.ts's inference (its first CSV_INFER_ROWS rows, read by csv-parse), and
 * DuckDB reads with ortq's dialect (`,`, `"` quoted and doubled, a header
 * line, no sniffing). Two queries, tried in turn (read.ts):
 *
 * - **typed**, where it may: DuckDB parses the Float64 columns itself
 *   (`DOUBLE` in read_csv's `columns`), 3–4 times cheaper than the careful
 *   check. Compared on about 770k strings (every string of up to 4 characters
 *   of a number's alphabet, random numbers in every notation with spaces and
 *   signs around them, the NaN and infinity spellings; the test keeps a
 *   sample: test/io/csv-duckdb.test.ts), DuckDB's parser reads every ASCII
 *   cell csv.ts reads, to the same double, and rejects every cell csv.ts
 *   rejects, but four: `+-1` (DuckDB skips a `+` and takes the sign after
 *   it), `1_000` (digits grouped by underscores), `nan(…)` (a NaN payload),
 *   and `-nan`, read as a NaN with its sign bit set where csv.ts writes JS's
 *   one NaN. So a file holding `+-`, a digit `_` digit, or `n(`/`N(` anywhere
 *   after its header line is read carefully; one holding `-n`/`-N` is read
 *   typed, its NaNs made JS's (canonicalNaN). DuckDB rejects the Unicode
 *   spaces csv.ts trims (U+00A0 …); so does the careful check (RE2's `\s`),
 *   and csv.ts reads on from there, as after any failed query.
 * - **careful**, otherwise: every column VARCHAR, each cell checked in SQL
 *   against exactly the syntax csv.ts accepts for its column, then cast (about
 *   250 ns a cell: the regex). Int64 columns are always read this way (DuckDB's
 *   BIGINT parser rounds `12.5` and takes `1e3`, `0x1f`, `1_000`).
 *
 * A cell csv.ts would reject, and any structural problem, makes the query
 * fail (`error()`, or DuckDB's cast; seen through streamDuckDbBatches's end
 * marker, as node-api's streaming fetch ends a failed query silently), and
 * read.ts hands the rest of the file to csv.ts from the first row not yet
 * handed out, so errors are csv.ts's own, naming the line.
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
  path: string;
  fields: Field[];
  duckTypes: number[];
  sql: string;
  /** the typed query (see above), or the careful one */
  typed: boolean;
  /** NaNs must be made JS's (the typed query, and the file holds `-n` or `-N`) */
  canonicalNaN: boolean;
}

function cellSql(col: string, layout: CsvLayout, c: number, typed: boolean): { expr: string; duck: number } {
  const empty = `${col} IS NULL OR ${col} = ''`;
  const bad = `error('ortq: the cell of column ${c} fails ortq''s CSV rules')`;
  if (layout.integer[c]) {
    return { expr: `CASE WHEN ${empty} THEN NULL WHEN regexp_full_match(${col}, ${lit(INTEGER)}) THEN CAST(${col} AS BIGINT) ELSE ${bad} END`, duck: D.BIGINT };
  }
  if (layout.numeric[c]) {
    // DuckDB's own parser (typed query): the column is declared DOUBLE, an empty cell is null
    if (typed) return { expr: col, duck: D.DOUBLE };
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
 * The queries reading `columns` (all when absent) of a CSV file laid out as
 * `layout` says, or null when DuckDB cannot read this file as csv-parse does
 * (see above; also a header-only file, a path DuckDB would glob).
 */
export async function csvDuckDbPlan(path: string, layout: CsvLayout, columns?: string[]): Promise<CsvDuckDbPlan | null> {
  const all = layout.schema.fields.map((f) => f.name);
  if (layout.rows === 0 || all.length < 2 || /[*?[\]{}]/.test(path) || path.includes('\0')) return null;
  const scan = await scanBytes(path);
  if (!scan.plain) return null;
  const picked = columns ? columns.map((n) => all.indexOf(n)) : all.map((_, i) => i);
  if (picked.length === 0 || picked.some((i) => i < 0)) return null;
  // DuckDB's own names for the columns: the header's names may repeat, or differ only by case
  const query = (typed: boolean): { sql: string; duck: number[] } => {
    const cells = picked.map((c) => cellSql(`c${c}`, layout, c, typed));
    const isTyped = (i: number): boolean => typed && picked.includes(i) && layout.numeric[i] && !layout.integer[i];
    const decl = all.map((_, i) => `'c${i}': '${isTyped(i) ? 'DOUBLE' : 'VARCHAR'}'`).join(', ');
    // buffer_size: DuckDB's 2 MB line limit (max_line_size's default) rather than 16 times it: its
    // read buffers are then reused by malloc instead of being faulted in afresh (about a quarter of its CPU)
    const from = `read_csv($1, columns = {${decl}}, auto_detect = false, header = true, buffer_size = ${2 << 20}, max_line_size = ${2 << 20}, `
      + `delim = ',', quote = '"', escape = '"', null_padding = false, strict_mode = true, ignore_errors = false, `
      + `encoding = 'utf-8', filename = false, hive_partitioning = false)`;
    return { sql: `SELECT ${cells.map((x) => x.expr).join(', ')} FROM ${from}`, duck: cells.map((x) => x.duck) };
  };
  const typed = scan.typed && picked.some((c) => layout.numeric[c] && !layout.integer[c]);
  const { sql, duck } = query(typed);
  const fields = picked.map((c) => layout.schema.fields[c] as Field);
  return { path, fields, duckTypes: duck, sql, typed, canonicalNaN: typed && scan.negNaN };
}

const NL = [0x0a, 0x0d];
const COMMA = 0x2c;
const QUOTE = 0x22;

const isDigit = (b: number): boolean => b >= 0x30 && b <= 0x39;

interface ByteScan {
  /** DuckDB reads this file as csv-parse does (see above) */
  plain: boolean;
  /** no `+-`, digit `_` digit or `n(`/`N(` past the header line: the typed query may read it */
  typed: boolean;
  /** a `-n` or `-N` past the header line: a `-nan` DuckDB would give its sign bit */
  negNaN: boolean;
}

/**
 * Each `byte` in view[from, to) whose neighbours pass `hit`: one native
 * search (memchr) per occurrence, so a pass over bytes that are rare in a
 * numeric CSV costs about a copy; two-byte searches (`,\n`) went byte by
 * byte over every delimiter.
 */
function anyAround(view: Buffer, byte: number, from: number, to: number, hit: (before: number, after: number) => boolean): boolean {
  for (let i = view.indexOf(byte, from); i >= 0 && i < to; i = view.indexOf(byte, i + 1)) {
    if (hit(i > 0 ? view[i - 1] : -1, i + 1 < view.length ? view[i + 1] : -1)) return true;
  }
  return false;
}

/**
 * False when bytes [from, to) of `view` hold a spelling DuckDB's DOUBLE parser
 * reads and csv.ts rejects: `+-`, a digit `_` digit, `n(` or `N(` (see above).
 * Exported for the test that compares both parsers.
 */
export function typedReadable(view: Buffer, from = 0, to = view.length): boolean {
  return !(anyAround(view, 0x2b /* + */, from, to, (_, next) => next === 0x2d /* - */)
    || anyAround(view, 0x28 /* ( */, from, to, (prev) => prev === 0x6e || prev === 0x4e /* n N */)
    || anyAround(view, 0x5f /* _ */, from, to, (prev, next) => isDigit(prev) && isDigit(next)));
}

/** True when bytes [from, to) of `view` hold `-n` or `-N`: maybe a `-nan`, whose sign DuckDB keeps. */
export function negativeNaN(view: Buffer, from = 0, to = view.length): boolean {
  return anyAround(view, 0x6e, from, to, (prev) => prev === 0x2d) || anyAround(view, 0x4e, from, to, (prev) => prev === 0x2d);
}

/**
 * One pass over the bytes (native searches, no parsing): not plain when the
 * file starts with a blank line, holds a delimiter or `""` right before a line
 * break or the end, or an odd number of `"`; and the spellings that keep a
 * file from the typed query (see above), looked for past the first line break
 * (a header spanning lines is looked at in part: only more careful).
 * The file is read in 1 MB blocks, each starting with the last two bytes of
 * the one before (`keep`): a line break is looked at once, in the block that
 * read it, with the two bytes before it; a byte of the typed query's
 * spellings once, in the first block that holds the bytes on both sides of it.
 */
async function scanBytes(path: string): Promise<ByteScan> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    const out: ByteScan = { plain: true, typed: true, negNaN: false };
    const notPlain = { ...out, plain: false };
    let pos = 0;
    let keep = 0;
    let first = true;
    let body = -1;
    let quotes = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, keep, buf.length - keep, pos);
      pos += bytesRead;
      const len = keep + bytesRead;
      const view = buf.subarray(0, len);
      if (first) {
        first = false;
        const start = view[0] === 0xef && view[1] === 0xbb && view[2] === 0xbf ? 3 : 0;
        if (len === start || NL.includes(view[start])) return notPlain;
      }
      // `,` or `""` right before a line break, among the bytes read this time
      for (const nl of NL) {
        for (let i = view.indexOf(nl, keep); i >= 0; i = view.indexOf(nl, i + 1)) {
          if (i > 0 && (view[i - 1] === COMMA || (view[i - 1] === QUOTE && i >= 2 && view[i - 2] === QUOTE))) return notPlain;
        }
      }
      // quotes of the bytes read this time (the kept ones were counted before)
      for (let i = view.indexOf(QUOTE, keep); i >= 0; i = view.indexOf(QUOTE, i + 1)) quotes++;
      if (body < 0) {
        // past the header's first line break (`\n`, or a `\r` alone)
        const breaks = NL.map((nl) => view.indexOf(nl)).filter((i) => i >= 0);
        if (breaks.length > 0) body = Math.min(...breaks) + 1;
      }
      if (body >= 0) {
        // the last byte of the block before had no byte after it there; this block's last has none yet (but at the end)
        const from = Math.max(keep - 1, 0, body);
        const end = bytesRead === 0 ? len : len - 1;
        body = 0;
        if (out.typed && !typedReadable(view, from, end)) out.typed = false;
        if (!out.negNaN && negativeNaN(view, from, end)) out.negNaN = true;
      }
      if (bytesRead === 0) {
        const plain = quotes % 2 === 0 && !(len > 0 && (view[len - 1] === COMMA || (len > 1 && view[len - 1] === QUOTE && view[len - 2] === QUOTE)));
        return { ...out, plain };
      }
      keep = Math.min(2, len);
      buf.copyWithin(0, len - keep, len);
    }
  } finally {
    await fh.close();
  }
}

export function readCsvDuckDb(plan: CsvDuckDbPlan, batchSize: number, pool?: SharedReadPool): AsyncGenerator<RecordBatch> {
  return streamDuckDbBatches({
    format: 'csv', sql: plan.sql, params: [plan.path], fields: plan.fields, duckTypes: plan.duckTypes, groupRows: null,
    // as csv.ts builds its batches: NaN under a null float, validity bits past the last row set
    nulls: { nullDouble: 'nan', tailBits: 1, utf8: 'builder' },
    canonicalNaN: plan.canonicalNaN,
  }, batchSize, pool);
}
