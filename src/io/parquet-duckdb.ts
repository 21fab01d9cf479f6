import { DateUnit, TimeUnit, Type, type DataType, type Field, type RecordBatch, type Schema } from 'apache-arrow';
import { D, streamDuckDbBatches } from './duckdb-batches.js';
import type { SharedReadPool } from './shared-pool.js';

export { DuckDbNotEligible } from './duckdb-batches.js';

/**
 * Parquet through DuckDB's native reader: a streaming query per read, its
 * 2048-row chunks copied straight out of DuckDB's vectors (zero-copy views of
 * native memory) into one set of column buffers per batch. The schema is the
 * one the planner saw (parquet-wasm's reading of the footer), so batches are
 * the same Arrow types, nullability and batch boundaries as the wasm path's:
 * `batchSize` rows at most, never across a row group.
 *
 * Only flat columns whose DuckDB type has the same bytes as the Arrow type are
 * read here (ints, floats, bool, utf8, date32, timestamps by unit);
 * duckDbPlan returns null for anything else (decimal, float16, dictionary,
 * large strings, nested, INT96), and read.ts uses the wasm decoder for it.
 */

/** The DuckDB type whose vector holds exactly this Arrow type's bytes, or null. */
export function duckTypeFor(type: DataType): number | null {
  const t = type as DataType & { bitWidth?: number; isSigned?: boolean; precision?: number; unit?: number; timezone?: string | null };
  switch (type.typeId) {
    case Type.Bool: return D.BOOLEAN;
    case Type.Int: {
      const signed = [D.TINYINT, D.SMALLINT, D.INTEGER, D.BIGINT];
      const unsigned = [D.UTINYINT, D.USMALLINT, D.UINTEGER, D.UBIGINT];
      const i = [8, 16, 32, 64].indexOf(t.bitWidth ?? 0);
      return i < 0 ? null : (t.isSigned ? signed : unsigned)[i];
    }
    case Type.Float: return t.precision === 1 ? D.FLOAT : t.precision === 2 ? D.DOUBLE : null;
    case Type.Utf8: return D.VARCHAR;
    // Binary (BYTE_ARRAY without a UTF8 annotation) stays with the wasm decoder: it is
    // never a model input, and parquet-bad/nation.dict-malformed.parquet, whose binary
    // dictionary pages arrow-rs rejects, reads in DuckDB (ORTQ_INPUT_CORRUPT is kept)
    case Type.Date: return t.unit === DateUnit.DAY ? D.DATE : null;
    case Type.Timestamp:
      if (t.timezone) return t.unit === TimeUnit.MICROSECOND ? D.TIMESTAMP_TZ : null;
      return ({ [TimeUnit.SECOND]: D.TIMESTAMP_S, [TimeUnit.MILLISECOND]: D.TIMESTAMP_MS, [TimeUnit.MICROSECOND]: D.TIMESTAMP, [TimeUnit.NANOSECOND]: D.TIMESTAMP_NS } as Record<number, number>)[t.unit ?? -1] ?? null;
    default: return null;
  }
}

export interface DuckParquetPlan {
  path: string;
  fields: Field[];
  duckTypes: number[];
  sql: string;
  /** rows of each row group read, in order: batches never cross them */
  groupRows: number[];
}

/** DuckDB would expand these as a glob pattern. */
const GLOB = /[*?[\]{}]/;

/**
 * The query that reads `columns` of row groups [unitStart, unitEnd), or null
 * when this file or these columns are not for this path (read.ts then uses
 * the wasm decoder).
 */
export function duckDbPlan(
  path: string,
  schema: Schema,
  unitRows: number[],
  opts: { columns?: string[]; unitStart?: number; unitEnd?: number },
): DuckParquetPlan | null {
  if (GLOB.test(path) || path.includes('\0')) return null;
  const names = schema.fields.map((f) => f.name);
  // DuckDB binds names case-insensitively, and file_row_number is the virtual column the row range needs
  const folded = new Set(names.map((n) => n.toLowerCase()));
  if (folded.size !== names.length || folded.has('file_row_number') || names.some((n) => n === '')) return null;
  const fields = opts.columns ? opts.columns.map((c) => schema.fields.find((f) => f.name === c)) : schema.fields;
  if (fields.length === 0 || fields.some((f) => !f)) return null;
  const duckTypes: number[] = [];
  for (const f of fields as Field[]) {
    const d = duckTypeFor(f.type);
    if (d === null) return null;
    duckTypes.push(d);
  }
  const start = Math.max(0, opts.unitStart ?? 0);
  const end = Math.min(opts.unitEnd ?? unitRows.length, unitRows.length);
  const groupRows = unitRows.slice(start, Math.max(start, end));
  const before = unitRows.slice(0, start).reduce((a, b) => a + b, 0);
  const rows = groupRows.reduce((a, b) => a + b, 0);
  const whole = start === 0 && end >= unitRows.length;
  const quoted = (fields as Field[]).map((f) => `"${f.name.replaceAll('"', '""')}"`).join(', ');
  const where = whole ? '' : ` WHERE file_row_number >= ${before} AND file_row_number < ${before + rows}`;
  const sql = `SELECT ${quoted} FROM read_parquet($1, hive_partitioning = false, binary_as_string = false)${where}`;
  return { path, fields: fields as Field[], duckTypes, sql, groupRows };
}

/**
 * Streams the planned rows as batches of at most `batchSize` rows that never
 * cross a row group (see streamDuckDbBatches). Throws DuckDbNotEligible before
 * any batch when DuckDB types a column differently from the footer's schema.
 */
export function readParquetDuckDb(plan: DuckParquetPlan, batchSize: number, pool?: SharedReadPool): AsyncGenerator<RecordBatch> {
  return streamDuckDbBatches({
    format: 'parquet', sql: plan.sql, params: [plan.path], fields: plan.fields, duckTypes: plan.duckTypes, groupRows: plan.groupRows,
    nulls: { nullDouble: 'zero', tailBits: 0, utf8: 'exact' },
  }, batchSize, pool);
}
