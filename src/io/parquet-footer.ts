import { open } from 'node:fs/promises';
import {
  Binary, Bool, DateDay, Field, Float32, Float64, Int8, Int16, Int32, Int64, RecordBatchReader, Schema, TimeUnit, Timestamp,
  Uint8, Uint16, Uint32, Uint64, Utf8, type DataType,
} from 'apache-arrow';
import { deserializeTCompactProtocol } from 'hyparquet/src/thrift.js';

/**
 * The Arrow schema and row-group layout of a Parquet file from its footer,
 * read in this thread (the Thrift compact protocol decoded by hyparquet): what
 * parquet-wasm's worker (arrow-rs) returns for the same file, without loading
 * the wasm decoder (about 240 CPU-ms per fresh process).
 *
 * Only the cases whose arrow-rs result is known exactly are answered: a flat
 * schema of BOOLEAN, INT32 (plain, INT(8|16|32), DATE), INT64 (plain, INT(64),
 * TIMESTAMP), FLOAT, DOUBLE and BYTE_ARRAY (plain → Binary, STRING/UTF8 →
 * Utf8) columns, with an embedded `ARROW:schema` only where it names the same
 * types. Everything else (nested columns, other annotations, a hint that
 * changes a type, anything odd in the footer) is refused, with the reason, and
 * the caller asks parquet-wasm, so that file is inspected, or rejected,
 * exactly as before.
 * test/io/parquet-footer.test.ts compares both on every test file.
 */
export interface FooterLayout {
  schema: Schema;
  rows: number;
  unitRows: number[];
}

/**
 * The footer's answer: its layout, or why the file is left to parquet-wasm
 * (read.ts and inspect.ts then ask it, so the file is inspected, or
 * rejected, exactly as before; the reason is for tests and debugging).
 */
export type FooterAnswer = { layout: FooterLayout } | { refused: string };

/** Footers larger than this are left to parquet-wasm. */
const MAX_FOOTER = 16 << 20;

export async function parquetFooterLayout(path: string): Promise<FooterAnswer> {
  let meta: Uint8Array | string;
  try {
    meta = await readFooter(path);
  } catch (err) {
    // unreadable, missing, a directory…: parquet-wasm reports it as it always did
    return { refused: `unreadable: ${(err as Error).message}` };
  }
  return typeof meta === 'string' ? { refused: meta } : layoutFromFooter(meta);
}

/** The footer's bytes, or why there are none to read. */
async function readFooter(path: string): Promise<Uint8Array | string> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    if (size < 12) return `${size} bytes, too short for Parquet`;
    const tail = Buffer.alloc(8);
    await fh.read(tail, 0, 8, size - 8);
    if (tail.toString('latin1', 4, 8) !== 'PAR1') return 'no PAR1 magic at the end';
    const len = tail.readUInt32LE(0);
    if (len === 0 || len > MAX_FOOTER || len > size - 12) return `footer length ${len}`;
    const meta = Buffer.alloc(len);
    const { bytesRead } = await fh.read(meta, 0, len, size - 8 - len);
    return bytesRead === len ? meta : 'the footer ends early';
  } finally {
    await fh.close();
  }
}

/** Thrown below to leave the footer to parquet-wasm, with the reason; layoutFromFooter returns it. */
class Refused extends Error {}
function refuse(why: string): never {
  throw new Refused(why);
}

// ---- Thrift compact protocol: hyparquet's decoder, read as arrow-rs's typed one would ----

class Bad extends Error {}

/**
 * A decoded Thrift value: hyparquet gives i8/i16/i32 (and doubles) as numbers,
 * i64 as bigint, binary as Uint8Array, a struct as `{ field_<id>: value }`.
 */
type Value = number | bigint | boolean | Uint8Array | Struct | Value[] | undefined;
type Struct = { [key: `field_${number}`]: Value };

const KEYS = Array.from({ length: 32 }, (_, i) => `field_${i}` as const);
const get = (s: Struct, id: number): Value => s[KEYS[id]];
const has = (s: Struct, id: number): boolean => KEYS[id] in s;
const isStruct = (v: Value): v is Struct =>
  typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array);
/** an i32 (a double, which the footer never holds where an i32 belongs, passes only when whole) */
const num = (v: Value): number | undefined => (typeof v === 'number' && Number.isInteger(v) ? v : undefined);
const isI64 = (v: Value): v is bigint => typeof v === 'bigint';
const size = (s: Struct): number => Object.keys(s).length;
/** a struct's fields as [id, value] */
const entries = (s: Struct): [number, Value][] => Object.entries(s).map(([k, x]) => [Number(k.slice(6)), x as Value]);
const text = (v: Value): string | undefined => (v instanceof Uint8Array ? utf8(v) : undefined);

const decoder = new TextDecoder('utf-8', { fatal: true });
function utf8(b: Uint8Array): string {
  return decoder.decode(b);
}

function i64(v: Value, what: string): number {
  if (!isI64(v) || v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Bad(`bad ${what}`);
  return Number(v);
}

/**
 * FileMetaData, decoded by hyparquet (pinned; its Thrift decoder is a public
 * subpath of the package). It throws on a footer that ends early or a Thrift
 * type Parquet never writes; a field repeated in a struct keeps the last value
 * (as arrow-rs does); an i32 varint past 32 bits keeps its low 32 bits (as
 * DuckDB's Thrift does, where arrow-rs rejects the footer: such a file is now
 * read by DuckDB instead of refused; test/io/parquet-footer.test.ts, crafted).
 */
function decodeFooter(meta: Uint8Array): Struct {
  const reader = { view: new DataView(meta.buffer, meta.byteOffset, meta.byteLength), offset: 0 };
  return deserializeTCompactProtocol(reader) as Struct;
}

/** The layout of a footer's bytes (FileMetaData), or why it is left to parquet-wasm. */
export function layoutFromFooter(meta: Uint8Array): FooterAnswer {
  try {
    return { layout: footerLayout(decodeFooter(meta)) };
  } catch (err) {
    // Refused, Bad (a value out of range) or hyparquet's decoder failing on the bytes
    return { refused: err instanceof Refused || err instanceof Bad ? err.message : `undecodable: ${(err as Error).message}` };
  }
}

function footerLayout(fmd: Struct): FooterLayout {
  // FileMetaData: 1 version, 2 schema, 3 num_rows, 4 row_groups, 5 key_value_metadata;
  // 8 encryption_algorithm (a plaintext footer of an encrypted file) is not for this path
  if (has(fmd, 8)) return refuse('encrypted');
  const elems = get(fmd, 2);
  const groups = get(fmd, 4);
  if (!Array.isArray(elems) || !Array.isArray(groups) || !elems.every(isStruct) || !groups.every(isStruct)) return refuse('no schema or row groups');
  const rows = i64(get(fmd, 3), 'num_rows');

  // SchemaElement: 1 type, 2 type_length, 3 repetition_type, 4 name, 5 num_children,
  // 6 converted_type, 7 scale, 8 precision, 9 field_id, 10 logicalType
  const [root, ...leaves] = elems as Struct[];
  if (!root || has(root, 1) || num(get(root, 5)) !== leaves.length || text(get(root, 4)) === undefined) return refuse('not a flat schema');
  const fields: Field[] = [];
  for (const e of leaves) {
    const name = text(get(e, 4));
    const physical = num(get(e, 1));
    const rep = num(get(e, 3));
    if (name === undefined || physical === undefined || (has(e, 5) && num(get(e, 5)) !== 0) || (rep !== 0 && rep !== 1)) return refuse('a column element');
    const type = arrowType(physical, num(get(e, 6)), get(e, 10), e);
    const id = num(get(e, 9));
    const metadata = new Map<string, string>();
    if (has(e, 9)) {
      if (id === undefined) return refuse('field_id');
      metadata.set('PARQUET:field_id', String(id));
    }
    fields.push(new Field(name, type, rep === 1, metadata));
  }

  // RowGroup: 1 columns, 2 total_byte_size, 3 num_rows
  const unitRows: number[] = [];
  for (const g of groups as Struct[]) {
    const cols = get(g, 1);
    if (!Array.isArray(cols) || cols.length !== leaves.length || !isI64(get(g, 2))) return refuse('row group columns');
    if (!cols.every(plausibleChunk)) return refuse('column chunk metadata');
    unitRows.push(i64(get(g, 3), 'row group num_rows'));
  }
  if (num(get(fmd, 1)) === undefined || !allText(fmd)) return refuse('footer strings');

  // KeyValue: 1 key, 2 value; entries without a value are dropped, a later key wins (arrow-rs's HashMap)
  const kv = get(fmd, 5);
  const metadata = new Map<string, string>();
  if (kv !== undefined) {
    if (!Array.isArray(kv) || !kv.every(isStruct)) return refuse('key-value metadata');
    for (const e of kv as Struct[]) {
      const k = text(get(e, 1));
      if (k === undefined) return refuse('key-value metadata');
      if (!has(e, 2)) continue;
      const v = text(get(e, 2));
      if (v === undefined) return refuse('key-value metadata');
      metadata.set(k, v);
    }
  }
  const hintText = metadata.get('ARROW:schema');
  if (hintText !== undefined) {
    metadata.delete('ARROW:schema');
    const hint = embeddedSchema(hintText);
    if (!hint || hint.fields.length !== fields.length) return refuse('ARROW:schema');
    for (let i = 0; i < fields.length; i++) {
      const h = hint.fields[i];
      // arrow-rs takes some types from the hint (large strings, time zones, dictionaries…): not for this path
      if (!sameType(h.type, fields[i].type)) return refuse(`ARROW:schema makes ${String(fields[i].type)} ${String(h.type)}`);
      fields[i] = new Field(fields[i].name, fields[i].type, fields[i].nullable, new Map(h.metadata));
    }
    for (const [k, v] of hint.metadata) if (!metadata.has(k)) metadata.set(k, v);
  }
  return { schema: new Schema(fields, metadata), rows, unitRows };
}

/**
 * arrow-rs decodes every column chunk's metadata (and fails the file on a
 * missing required field, an unknown enum value or a string that is not
 * UTF-8) although the layout needs none of it; a footer damaged there is left
 * to parquet-wasm, which rejects it as before.
 */
function plausibleChunk(c: Value): boolean {
  // ColumnChunk: 2 file_offset, 3 meta_data; ColumnMetaData: 1 type, 2 encodings, 3 path_in_schema, 4 codec,
  // 5 num_values, 6/7 total sizes, 9 data_page_offset, 10 index_page_offset, 11 dictionary_page_offset
  if (!isStruct(c) || !isI64(get(c, 2)) || has(c, 8) || has(c, 9)) return false;
  const m = get(c, 3);
  if (!isStruct(m)) return false;
  const t = num(get(m, 1)), codec = num(get(m, 4)), enc = get(m, 2), path = get(m, 3);
  if (t === undefined || t < 0 || t > 7 || codec === undefined || codec < 0 || codec > 7) return false;
  if (!Array.isArray(enc) || !enc.every((e) => { const x = num(e); return x !== undefined && x >= 0 && x <= 9 && x !== 1; })) return false;
  if (!Array.isArray(path) || !path.every((p) => p instanceof Uint8Array)) return false;
  for (const k of [5, 6, 7, 9]) if (!isI64(get(m, k))) return false;
  for (const k of [10, 11]) if (has(m, k) && !isI64(get(m, k))) return false;
  return true;
}

/** Every string in the footer is UTF-8, as arrow-rs's Thrift decoder insists, except the statistics' binary values. */
function allText(v: Value | undefined): boolean {
  if (v instanceof Uint8Array) {
    let ascii = true;
    for (let i = 0; i < v.length && ascii; i++) ascii = v[i] < 0x80;
    if (ascii) return true;
    try { utf8(v); return true; } catch { return false; }
  }
  if (Array.isArray(v)) return v.every((x) => allText(x));
  if (isStruct(v)) {
    // ColumnMetaData (it has path_in_schema, 3, and codec, 4) field 12: Statistics
    const stats = 'field_3' in v && num(v.field_4) !== undefined;
    for (const k in v) {
      if (stats && k === 'field_12') continue;
      if (!allText(v[k as keyof Struct])) return false;
    }
  }
  return true;
}

function sameType(a: DataType, b: DataType): boolean {
  return a.typeId === b.typeId && String(a) === String(b);
}

/** The IPC schema message arrow-rs writes base64-encoded under `ARROW:schema`, or null. */
function embeddedSchema(b64: string): Schema | null {
  try {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) return null;
    const bytes = Buffer.from(b64, 'base64');
    let msg: Uint8Array;
    if (bytes.length > 8 && bytes.readUInt32LE(0) === 0xffffffff) msg = bytes.subarray(8);
    else if (bytes.length > 4) msg = bytes.subarray(4);
    else return null;
    const padded = (msg.length + 7) & ~7;
    const stream = new Uint8Array(8 + padded + 8);
    const dv = new DataView(stream.buffer);
    dv.setUint32(0, 0xffffffff, true);
    dv.setInt32(4, padded, true);
    stream.set(msg, 8);
    dv.setUint32(8 + padded, 0xffffffff, true);
    const reader = RecordBatchReader.from(stream);
    reader.open();
    return reader.schema ?? null;
  } catch {
    return null;
  }
}

/** arrow-rs's Arrow type for a flat column (parquet/src/arrow/schema/primitive.rs), for the cases handled here. */
function arrowType(physical: number, converted: number | undefined, logical: Value | undefined, e: Struct): DataType {
  // a decimal's scale/precision or a fixed length belong to types not handled here
  if (has(e, 7) || has(e, 8) || has(e, 2)) return refuse('column type');
  let lt: { kind: number; body: Struct } | null = null;
  if (logical !== undefined) {
    if (!isStruct(logical) || size(logical) !== 1) return refuse('column type');
    const [[kind, body]] = entries(logical);
    if (!isStruct(body)) return refuse('column type');
    lt = { kind, body };
  }
  // LogicalType: 1 STRING, 6 DATE, 8 TIMESTAMP, 10 INTEGER; ConvertedType: 0 UTF8, 6 DATE, 9/10 TIMESTAMP_MILLIS/MICROS,
  // 11–14 UINT_8…64, 15–18 INT_8…64
  switch (physical) {
    case 0: return lt || converted !== undefined ? refuse('column type') : new Bool();
    case 4: return lt || converted !== undefined ? refuse('column type') : new Float32();
    case 5: return lt || converted !== undefined ? refuse('column type') : new Float64();
    case 1: {
      if (lt) {
        if (lt.kind === 6 && size(lt.body) === 0 && (converted === undefined || converted === 6)) return new DateDay();
        if (lt.kind === 10) {
          const w = num(get(lt.body, 1));
          const signed = get(lt.body, 2);
          if (typeof signed !== 'boolean' || size(lt.body) !== 2) return refuse('column type');
          const want = w === 8 ? (signed ? 15 : 11) : w === 16 ? (signed ? 16 : 12) : w === 32 ? (signed ? 17 : 13) : -1;
          if (want < 0 || (converted !== undefined && converted !== want)) return refuse('column type');
          return signed ? (w === 8 ? new Int8() : w === 16 ? new Int16() : new Int32()) : (w === 8 ? new Uint8() : w === 16 ? new Uint16() : new Uint32());
        }
        return refuse('column type');
      }
      switch (converted) {
        case undefined: case 17: return new Int32();
        case 15: return new Int8();
        case 16: return new Int16();
        case 11: return new Uint8();
        case 12: return new Uint16();
        case 13: return new Uint32();
        case 6: return new DateDay();
        default: return refuse('column type');
      }
    }
    case 2: {
      if (lt) {
        if (lt.kind === 10) {
          const w = num(get(lt.body, 1));
          const signed = get(lt.body, 2);
          if (w !== 64 || typeof signed !== 'boolean' || size(lt.body) !== 2) return refuse('column type');
          if (converted !== undefined && converted !== (signed ? 18 : 14)) return refuse('column type');
          return signed ? new Int64() : new Uint64();
        }
        if (lt.kind === 8) {
          const utc = get(lt.body, 1);
          const unit = get(lt.body, 2);
          if (typeof utc !== 'boolean' || !isStruct(unit) || size(unit) !== 1 || size(lt.body) !== 2) return refuse('column type');
          const [[u, ub]] = entries(unit);
          if (!isStruct(ub) || size(ub) !== 0) return refuse('column type');
          const tu = u === 1 ? TimeUnit.MILLISECOND : u === 2 ? TimeUnit.MICROSECOND : u === 3 ? TimeUnit.NANOSECOND : -1;
          if (tu < 0) return refuse('column type');
          // arrow-rs reads the logical type first; a writer adds TIMESTAMP_MILLIS/MICROS (9/10) beside it
          if (converted !== undefined && !(converted === 9 && u === 1) && !(converted === 10 && u === 2)) return refuse('timestamp annotations');
          return new Timestamp(tu as TimeUnit, utc ? 'UTC' : null);
        }
        return refuse('column type');
      }
      switch (converted) {
        case undefined: case 18: return new Int64();
        case 14: return new Uint64();
        default: return refuse('column type');
      }
    }
    case 6: {
      if (lt) return lt.kind === 1 && size(lt.body) === 0 && (converted === undefined || converted === 0) ? new Utf8() : refuse('column type');
      return converted === undefined ? new Binary() : converted === 0 ? new Utf8() : refuse('column type');
    }
    default: return refuse('column type');
  }
}
