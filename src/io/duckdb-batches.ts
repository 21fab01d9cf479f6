import type Bindings from '@duckdb/node-bindings';
import type { DuckDBDataChunk, DuckDBResult } from '@duckdb/node-api';
import { makeData, RecordBatch, Schema, Struct, type Data, type Field } from 'apache-arrow';
import type { DuckDbFormat } from '../config.js';
import { duckDbConnect } from './duckdb-host.js';
import { recordBatch } from './record-batch.js';
import type { SharedReadPool } from './shared-pool.js';

/**
 * Record batches out of one streaming DuckDB query (the Parquet and CSV
 * readers): DuckDB's 2048-row chunks are copied straight out of its vectors
 * (zero-copy views of native memory) into one set of column buffers per batch.
 * Given a shared read pool, the fixed-width columns of a batch are views of
 * one of its SharedArrayBuffers (bool, string and validity buffers stay
 * ordinary), so the predict shard feeds them to the inference thread without
 * building tensors (the shared path, see docs/perf/arrow-path.md).
 */

type DuckDbBindings = typeof Bindings;
/** the native bindings, loaded with the first read (see duckdb-host.ts) */
let ddb: DuckDbBindings;

/** DuckDB's logical type ids (duckdb.h DUCKDB_TYPE_*), the ones read here. */
export const D = {
  BOOLEAN: 1, TINYINT: 2, SMALLINT: 3, INTEGER: 4, BIGINT: 5, UTINYINT: 6, USMALLINT: 7, UINTEGER: 8, UBIGINT: 9,
  FLOAT: 10, DOUBLE: 11, TIMESTAMP: 12, DATE: 13, VARCHAR: 17, BLOB: 18,
  TIMESTAMP_S: 20, TIMESTAMP_MS: 21, TIMESTAMP_NS: 22, TIMESTAMP_TZ: 31,
} as const;

const WIDTH: Record<number, number> = {
  [D.TINYINT]: 1, [D.SMALLINT]: 2, [D.INTEGER]: 4, [D.BIGINT]: 8, [D.UTINYINT]: 1, [D.USMALLINT]: 2, [D.UINTEGER]: 4, [D.UBIGINT]: 8,
  [D.FLOAT]: 4, [D.DOUBLE]: 8, [D.DATE]: 4, [D.TIMESTAMP]: 8, [D.TIMESTAMP_S]: 8, [D.TIMESTAMP_MS]: 8, [D.TIMESTAMP_NS]: 8, [D.TIMESTAMP_TZ]: 8,
};

/** SQL names of the types a query's columns may have when groupRows is null (the end marker's nulls). */
const SQL_TYPE: Record<number, string> = { [D.BIGINT]: 'BIGINT', [D.DOUBLE]: 'DOUBLE', [D.VARCHAR]: 'VARCHAR' };

/** DuckDB's result disagrees with the schema expected: the caller reads another way. */
export class DuckDbNotEligible extends Error {}

/**
 * What a batch holds where Arrow leaves bytes undefined, so that outputs stay
 * byte-identical to the reader DuckDB replaces.
 */
export interface NullLayout {
  /** under a null DOUBLE: 0 (arrow-rs, zeroed) or NaN (ortq's CSV reader) */
  nullDouble: 'zero' | 'nan';
  /** validity bits past the last row: 0 (Arrow writers) or 1 (ortq's CSV reader) */
  tailBits: 0 | 1;
  /**
   * utf8 buffers: `exact` lengths, or padded to 64 bytes with zeros, validity
   * bits past the last row 0, as apache-arrow's vectorFromArray leaves them
   * (ortq's CSV reader)
   */
  utf8: 'exact' | 'builder';
}

export interface DuckDbQuery {
  /** the format read, whose setting gives DuckDB's threads (duckdb-host.ts) */
  format: DuckDbFormat;
  sql: string;
  /** bound as VARCHAR to $1, $2, … */
  params: string[];
  fields: Field[];
  /** the DuckDB type each result column must have (D.*) */
  duckTypes: number[];
  /**
   * Rows of each unit read, in order: batches never cross them, and DuckDB
   * must return exactly their sum. null: unknown, batches of batchSize to the
   * end, and the query is run with an end marker (see streamDuckDbBatches).
   */
  groupRows: number[] | null;
  nulls: NullLayout;
  /** DOUBLE values that are NaN are written as JS's one NaN (a CSV `-nan` parsed by DuckDB has its sign bit set) */
  canonicalNaN?: boolean;
}

/**
 * A streaming query that ended short: fewer rows than groupRows, or no end
 * marker (it failed in DuckDB).
 */
export class DuckDbStreamBroken extends Error {}

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

function newBuilder(duck: number, rows: number, values?: Uint8Array): ColumnBuilder {
  const str = duck === D.VARCHAR || duck === D.BLOB;
  const width = WIDTH[duck] ?? 0;
  return {
    duck,
    width,
    values: values ?? new Uint8Array(str ? Math.max(64, rows * 8) : duck === D.BOOLEAN ? (rows + 7) >> 3 : rows * width),
    validity: new Uint8Array((rows + 7) >> 3).fill(0xff),
    nulls: 0,
    offsets: str ? new Int32Array(rows + 1) : null,
    bytes: 0,
  };
}

/**
 * One batch's builders. With a pool, the values of its fixed-width columns
 * are views (64-byte aligned) of one shared buffer taken from it, counted
 * once: the reader's reference (see read.ts). Every byte of such a view is
 * written by copyVector (a value, or the zero/NaN under a null), so a reused
 * buffer needs no zeroing. Bool values are OR-ed into zeroed bytes and
 * strings grow: those stay ordinary.
 */
function newBuilders(duckTypes: number[], rows: number, pool: SharedReadPool | undefined): { builders: ColumnBuilder[]; sab: SharedArrayBuffer | null } {
  const fixed = (d: number): number => (d === D.BOOLEAN ? 0 : (WIDTH[d] ?? 0));
  let total = 0;
  const at = duckTypes.map((d) => {
    const off = total;
    total += fixed(d) > 0 ? Math.ceil((rows * fixed(d)) / 64) * 64 : 0;
    return off;
  });
  const sab = pool && total > 0 ? pool.take(total) : null;
  const builders = duckTypes.map((d, c) => newBuilder(d, rows, sab && fixed(d) > 0 ? new Uint8Array(sab, at[c], rows * fixed(d)) : undefined));
  return { builders, sab };
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

/** a NaN's bytes as V8 writes it into a Float64Array */
const NAN = new Uint8Array(new Float64Array([NaN]).buffer);

/**
 * Copies rows [off, off + take) of one DuckDB vector to rows [at, at + take)
 * of the batch being built. Values under a null are zeroed (or NaN, see
 * NullLayout), so that outputs stay byte-identical.
 */
function copyVector(b: ColumnBuilder, vec: Bindings.Vector, size: number, off: number, take: number, at: number, nulls: NullLayout, canonicalNaN: boolean): void {
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
  if (canonicalNaN && b.duck === D.DOUBLE) {
    const f64 = new Float64Array(b.values.buffer, b.values.byteOffset + at * 8, take);
    for (let k = 0; k < take; k++) if (f64[k] !== f64[k]) f64[k] = NaN;
  }
  if (!valid) return;
  const nan = b.duck === D.DOUBLE && nulls.nullDouble === 'nan';
  for (let k = 0; k < take; k++) {
    const i = off + k;
    // eight valid rows at a time where the mask byte says so
    if ((i & 7) === 0 && k + 8 <= take && valid[i >> 3] === 0xff) { k += 7; continue; }
    if (!isValid(i)) {
      markNull(b, at + k);
      if (nan) b.values.set(NAN, (at + k) * w);
      else b.values.fill(0, (at + k) * w, (at + k + 1) * w);
    }
  }
}

function markNull(b: ColumnBuilder, row: number): void {
  b.validity[row >> 3] &= ~(1 << (row & 7));
  b.nulls++;
}

/** apache-arrow's builders' buffer lengths: whole 64-byte blocks, at least one */
function roundUp64(bytes: number): number {
  return Math.max(64, Math.ceil(bytes / 64) * 64);
}

/** The column's Arrow data: `rows` may be fewer than the builder holds (the last batch of a CSV file). */
function finish(field: Field, b: ColumnBuilder, rows: number, capacity: number, nulls: NullLayout): Data {
  const bitmapBytes = (rows + 7) >> 3;
  const validity = rows < capacity ? b.validity.slice(0, bitmapBytes) : b.validity;
  if (rows & 7) {
    const mask = (1 << (rows & 7)) - 1;
    if (nulls.tailBits === 0) validity[bitmapBytes - 1] &= mask;
    else validity[bitmapBytes - 1] |= ~mask & 0xff;
  }
  const nullBitmap = b.nulls > 0 ? validity : undefined;
  const common = { type: field.type, length: rows, nullCount: b.nulls, nullBitmap };
  if (b.offsets && nulls.utf8 === 'builder') {
    const padded = <T extends Uint8Array | Int32Array>(src: T, bytes: number, make: (n: number) => T): T => {
      const out = make(roundUp64(bytes) / src.BYTES_PER_ELEMENT);
      out.set(src.subarray(0, bytes / src.BYTES_PER_ELEMENT));
      return out;
    };
    if (rows & 7) validity[bitmapBytes - 1] &= (1 << (rows & 7)) - 1;
    return makeData({
      ...common,
      nullBitmap: nullBitmap && padded(validity, bitmapBytes, (n) => new Uint8Array(n)),
      valueOffsets: padded(b.offsets, (rows + 1) * 4, (n) => new Int32Array(n)),
      data: padded(b.values, b.bytes, (n) => new Uint8Array(n)),
    } as never);
  }
  if (b.offsets) {
    const valueOffsets = rows < capacity ? b.offsets.slice(0, rows + 1) : b.offsets;
    return makeData({ ...common, valueOffsets, data: b.values.slice(0, b.bytes) } as never);
  }
  const size = b.duck === D.BOOLEAN ? bitmapBytes : rows * b.width;
  // a shared view stays one (the last, short batch of a CSV file)
  const data = rows === capacity ? b.values : b.values.buffer instanceof SharedArrayBuffer ? b.values.subarray(0, size) : b.values.slice(0, size);
  return makeData({ ...common, data } as never);
}

/**
 * Streams a query's rows as batches of at most `batchSize` rows that never
 * cross a unit (groupRows), holding one batch of column buffers plus DuckDB's
 * current chunk. Throws DuckDbNotEligible before any batch when DuckDB types a
 * column differently from q.duckTypes.
 *
 * node-api's streaming fetch ends a query that fails past its first chunks as
 * if it were done (an empty chunk, no error), so every read must prove it ran
 * to its end, or throws DuckDbStreamBroken: by its row count where groupRows
 * gives one, else by an end marker, a last column (BOOLEAN) appended here,
 * true only on one final row of nulls that is not data.
 *
 * Where the marker row comes from decides how DuckDB runs the query (DuckDB
 * 1.5.6, measured: docs/perf/readers.md, "DuckDB threads"):
 * - one thread (the format's threads setting at 1, Parquet's default;
 *   Parquet never needs the marker anyway): a constant `SELECT NULL, …, true`. The plan then has no batch indexes, and DuckDB collects the result
 *   in order on the one thread that fetches: the proven path.
 * - more threads: `read_blob($1)` (params[0] is the file read: only its name
 *   is listed, no byte read), a table function that keeps the plan's batch
 *   indexes, so each thread parses part of the file and the rows still come
 *   back in file order. With the constant, a second thread did all the
 *   parsing while the fetching one spun waiting for it: 1.5–1.8× the CPU of
 *   one thread, no faster. Two threads are CSV's default since measured
 *   on a quiet machine (config.ts, DUCKDB_DEFAULT_THREADS).
 */
export async function* streamDuckDbBatches(q: DuckDbQuery, batchSize: number, pool?: SharedReadPool): AsyncGenerator<RecordBatch> {
  const total = q.groupRows ? q.groupRows.reduce((a, b) => a + b, 0) : Infinity;
  if (total === 0) return;
  const endMarker = q.groupRows === null;
  if (endMarker && q.duckTypes.some((d) => !SQL_TYPE[d])) throw new DuckDbNotEligible('a column type the end marker has no SQL name for');
  const { con, threads } = await duckDbConnect(q.format);
  const sql = endMarker
    ? `SELECT *, false FROM (${q.sql}) UNION ALL SELECT ${q.duckTypes.map((d) => `NULL::${SQL_TYPE[d]}`).join(', ')}, true${threads > 1 ? ' FROM read_blob($1)' : ''}`
    : q.sql;
  ddb ??= (await import('@duckdb/node-bindings')).default;
  let pending: Promise<DuckDBDataChunk | null> | null = null;
  // the shared buffer of the batch being built: its reference passes to the
  // consumer with the batch, or is given back here (failure, early stop, unused)
  let building: SharedArrayBuffer | null = null;
  try {
    const prepared = await con.prepare(sql);
    q.params.forEach((p, i) => prepared.bindVarchar(i + 1, p));
    const result: DuckDBResult = await prepared.stream();
    const width = q.fields.length + (endMarker ? 1 : 0);
    if (result.columnCount !== width) throw new DuckDbNotEligible(`DuckDB returned ${result.columnCount} columns, ${width} expected`);
    if (endMarker && (result.columnTypeId(width - 1) as number) !== D.BOOLEAN) throw new DuckDbNotEligible('the end marker is not a BOOLEAN');
    for (let c = 0; c < q.fields.length; c++) {
      const got = result.columnTypeId(c) as number;
      if (got !== q.duckTypes[c]) throw new DuckDbNotEligible(`column "${q.fields[c].name}": DuckDB type ${got}, ${q.duckTypes[c]} expected`);
    }
    const schema = new Schema(q.fields);
    const canonicalNaN = q.canonicalNaN === true;
    const groups = q.groupRows ?? [Infinity];
    let group = 0;
    let groupLeft = groups[0];
    let target = 0;
    let fill = 0;
    let builders: ColumnBuilder[] = [];
    const startBatch = (): void => {
      while (groupLeft === 0 && group + 1 < groups.length) groupLeft = groups[++group];
      target = Math.min(batchSize, groupLeft);
      fill = 0;
      ({ builders, sab: building } = newBuilders(q.duckTypes, target, pool));
    };
    const batchOf = (rows: number): RecordBatch => {
      const children = q.fields.map((f, c) => finish(f, builders[c], rows, target, q.nulls));
      const batch = recordBatch(schema, makeData({ type: new Struct(q.fields), length: rows, nullCount: 0, children }));
      building = null;
      return batch;
    };
    startBatch();
    let seen = 0;
    let ended = false;
    pending = result.fetchChunk();
    for (;;) {
      const chunk = await pending;
      pending = null;
      let size = chunk ? chunk.rowCount : 0;
      if (size === 0) break;
      if (ended) throw new DuckDbStreamBroken('rows after the end marker');
      if (endMarker) {
        const at = ddb.vector_get_data(ddb.data_chunk_get_vector(chunk!.chunk, width - 1), size).subarray(0, size).indexOf(1);
        if (at >= 0) {
          if (at !== size - 1) throw new DuckDbStreamBroken('rows after the end marker');
          ended = true;
          size--;
        }
      }
      // DuckDB decodes the next chunk on the libuv pool while this one is copied
      pending = result.fetchChunk();
      pending.catch(() => undefined);
      if (seen + size > total) throw new Error(`the file holds more rows than its footer's ${total}`);
      seen += size;
      const vectors = q.fields.map((_, c) => ddb.data_chunk_get_vector(chunk!.chunk, c));
      let off = 0;
      while (off < size) {
        const take = Math.min(size - off, target - fill);
        for (let c = 0; c < vectors.length; c++) copyVector(builders[c], vectors[c], size, off, take, fill, q.nulls, canonicalNaN);
        off += take;
        fill += take;
        if (fill === target) {
          const batch = batchOf(target);
          groupLeft -= target;
          if (seen - size + off < total) startBatch();
          yield batch;
        }
      }
    }
    if (endMarker && !ended) throw new DuckDbStreamBroken('DuckDB ended the query before its end marker: it failed');
    if (q.groupRows) {
      if (seen !== total) throw new DuckDbStreamBroken(`read ${seen} rows where the footer says ${total}: DuckDB ended the query early (it failed)`);
    } else if (fill > 0) {
      yield batchOf(fill);
    }
  } finally {
    if (building) pool?.release(building);
    await pending?.catch(() => undefined);
    con.closeSync();
  }
}
