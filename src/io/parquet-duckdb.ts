import type Bindings from '@duckdb/node-bindings';
import type { DuckDBDataChunk, DuckDBResult } from '@duckdb/node-api';
import { DateUnit, makeData, RecordBatch, Schema, Struct, TimeUnit, Type, type Data, type DataType, type Field } from 'apache-arrow';
import { duckDbConnect } from './duckdb-host.js';

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

type DuckDbBindings = typeof Bindings;
/** the native bindings, loaded with the first read (see duckdb-host.ts) */
let ddb: DuckDbBindings;

/** DuckDB's logical type ids (duckdb.h DUCKDB_TYPE_*), the ones read here. */
const D = {
  BOOLEAN: 1, TINYINT: 2, SMALLINT: 3, INTEGER: 4, BIGINT: 5, UTINYINT: 6, USMALLINT: 7, UINTEGER: 8, UBIGINT: 9,
  FLOAT: 10, DOUBLE: 11, TIMESTAMP: 12, DATE: 13, VARCHAR: 17, BLOB: 18,
  TIMESTAMP_S: 20, TIMESTAMP_MS: 21, TIMESTAMP_NS: 22, TIMESTAMP_TZ: 31,
} as const;

const WIDTH: Record<number, number> = {
  [D.TINYINT]: 1, [D.SMALLINT]: 2, [D.INTEGER]: 4, [D.BIGINT]: 8, [D.UTINYINT]: 1, [D.USMALLINT]: 2, [D.UINTEGER]: 4, [D.UBIGINT]: 8,
  [D.FLOAT]: 4, [D.DOUBLE]: 8, [D.DATE]: 4, [D.TIMESTAMP]: 8, [D.TIMESTAMP_S]: 8, [D.TIMESTAMP_MS]: 8, [D.TIMESTAMP_NS]: 8, [D.TIMESTAMP_TZ]: 8,
};

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

/** DuckDB disagrees with the footer's schema: read.ts falls back to the wasm decoder. */
export class DuckDbNotEligible extends Error {}

interface ColumnBuilder {
  duck: number;
  width: number;
  values: Uint8Array;
  validity: Uint8Array;
  nulls: number;
  /** utf8/binary */
  offsets: Int32Array | null;
  bytes: number;
}

function newBuilder(duck: number, rows: number): ColumnBuilder {
  const str = duck === D.VARCHAR || duck === D.BLOB;
  const width = WIDTH[duck] ?? 0;
  return {
    duck,
    width,
    values: new Uint8Array(str ? Math.max(64, rows * 8) : duck === D.BOOLEAN ? (rows + 7) >> 3 : rows * width),
    validity: new Uint8Array((rows + 7) >> 3).fill(0xff),
    nulls: 0,
    offsets: str ? new Int32Array(rows + 1) : null,
    bytes: 0,
  };
}

function appendBytes(b: ColumnBuilder, src: Uint8Array): void {
  const need = b.bytes + src.length;
  if (need > 0x7fffffff) throw new Error('a batch of this string column holds more than 2 GB');
  if (need > b.values.length) {
    const grown = new Uint8Array(Math.min(0x7fffffff, Math.max(need, b.values.length * 2)));
    grown.set(b.values.subarray(0, b.bytes));
    b.values = grown;
  }
  b.values.set(src, b.bytes);
  b.bytes = need;
}

/**
 * Copies rows [off, off + take) of one DuckDB vector to rows [at, at + take)
 * of the batch being built. Values under a null are zeroed, as the wasm
 * decoder leaves them, so that outputs stay byte-identical.
 */
function copyVector(b: ColumnBuilder, vec: Bindings.Vector, size: number, off: number, take: number, at: number): void {
  const valid = ddb.vector_get_validity(vec, ((size + 63) >> 6) * 8) as Uint8Array | null;
  const isValid = (i: number): boolean => !valid || ((valid[i >> 3] >> (i & 7)) & 1) === 1;
  if (b.offsets) {
    const data = ddb.vector_get_data(vec, size * 16);
    const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
    for (let k = 0; k < take; k++) {
      const i = off + k;
      if (isValid(i)) {
        const len = dv.getUint32(i * 16, true);
        appendBytes(b, len <= 12 ? data.subarray(i * 16 + 4, i * 16 + 4 + len) : ddb.get_data_from_pointer(data.buffer as ArrayBuffer, data.byteOffset + i * 16 + 8, len));
      } else {
        markNull(b, at + k);
      }
      b.offsets[at + k + 1] = b.bytes;
    }
    return;
  }
  if (b.duck === D.BOOLEAN) {
    const data = ddb.vector_get_data(vec, size);
    for (let k = 0; k < take; k++) {
      const i = off + k;
      if (!isValid(i)) markNull(b, at + k);
      else if (data[i] !== 0) b.values[(at + k) >> 3] |= 1 << ((at + k) & 7);
    }
    return;
  }
  const w = b.width;
  b.values.set(ddb.vector_get_data(vec, size * w).subarray(off * w, (off + take) * w), at * w);
  if (!valid) return;
  for (let k = 0; k < take; k++) {
    const i = off + k;
    // eight valid rows at a time where the mask byte says so
    if ((i & 7) === 0 && k + 8 <= take && valid[i >> 3] === 0xff) { k += 7; continue; }
    if (!isValid(i)) {
      markNull(b, at + k);
      b.values.fill(0, (at + k) * w, (at + k + 1) * w);
    }
  }
}

function markNull(b: ColumnBuilder, row: number): void {
  b.validity[row >> 3] &= ~(1 << (row & 7));
  b.nulls++;
}

function finish(field: Field, b: ColumnBuilder, rows: number): Data {
  // the bits past the last row are 0, as every Arrow writer leaves them
  if (rows & 7) b.validity[b.validity.length - 1] &= (1 << (rows & 7)) - 1;
  const nullBitmap = b.nulls > 0 ? b.validity : undefined;
  const common = { type: field.type, length: rows, nullCount: b.nulls, nullBitmap };
  if (b.offsets) return makeData({ ...common, valueOffsets: b.offsets, data: b.values.slice(0, b.bytes) } as never);
  return makeData({ ...common, data: b.values } as never);
}

/**
 * Streams the planned rows as batches of at most `batchSize` rows that never
 * cross a row group, holding one batch of column buffers plus DuckDB's
 * current chunk. Throws DuckDbNotEligible before any batch when DuckDB types a
 * column differently from the footer's schema.
 */
export async function* readParquetDuckDb(plan: DuckParquetPlan, batchSize: number): AsyncGenerator<RecordBatch> {
  const total = plan.groupRows.reduce((a, b) => a + b, 0);
  if (total === 0) return;
  const con = await duckDbConnect();
  ddb ??= (await import('@duckdb/node-bindings')).default;
  let pending: Promise<DuckDBDataChunk | null> | null = null;
  try {
    const prepared = await con.prepare(plan.sql);
    prepared.bindVarchar(1, plan.path);
    const result: DuckDBResult = await prepared.stream();
    if (result.columnCount !== plan.fields.length) throw new DuckDbNotEligible(`DuckDB returned ${result.columnCount} columns, ${plan.fields.length} expected`);
    for (let c = 0; c < plan.fields.length; c++) {
      const got = result.columnTypeId(c) as number;
      if (got !== plan.duckTypes[c]) throw new DuckDbNotEligible(`column "${plan.fields[c].name}": DuckDB type ${got}, ${plan.duckTypes[c]} expected`);
    }
    const schema = new Schema(plan.fields);
    let group = 0;
    let groupLeft = plan.groupRows[0];
    let target = 0;
    let fill = 0;
    let builders: ColumnBuilder[] = [];
    const startBatch = (): void => {
      while (groupLeft === 0 && group + 1 < plan.groupRows.length) groupLeft = plan.groupRows[++group];
      target = Math.min(batchSize, groupLeft);
      fill = 0;
      builders = plan.duckTypes.map((d) => newBuilder(d, target));
    };
    startBatch();
    let seen = 0;
    pending = result.fetchChunk();
    for (;;) {
      const chunk = await pending;
      pending = null;
      const size = chunk ? chunk.rowCount : 0;
      if (size === 0) break;
      // DuckDB decodes the next chunk on the libuv pool while this one is copied
      pending = result.fetchChunk();
      pending.catch(() => undefined);
      if (seen + size > total) throw new Error(`the file holds more rows than its footer's ${total}`);
      seen += size;
      const vectors = plan.fields.map((_, c) => ddb.data_chunk_get_vector(chunk!.chunk, c));
      let off = 0;
      while (off < size) {
        const take = Math.min(size - off, target - fill);
        for (let c = 0; c < vectors.length; c++) copyVector(builders[c], vectors[c], size, off, take, fill);
        off += take;
        fill += take;
        if (fill === target) {
          const children = plan.fields.map((f, c) => finish(f, builders[c], target));
          const batch = new RecordBatch(schema, makeData({ type: new Struct(plan.fields), length: target, nullCount: 0, children }));
          groupLeft -= target;
          if (seen - size + off < total) startBatch();
          yield batch;
        }
      }
    }
    if (seen !== total) throw new Error(`read ${seen} rows where the footer says ${total}`);
  } finally {
    await pending?.catch(() => undefined);
    con.closeSync();
  }
}
