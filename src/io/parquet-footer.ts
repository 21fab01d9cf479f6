import { open } from 'node:fs/promises';
import {
  Binary, Bool, DateDay, Field, Float32, Float64, Int8, Int16, Int32, Int64, RecordBatchReader, Schema, TimeUnit, Timestamp,
  Uint8, Uint16, Uint32, Uint64, Utf8, type DataType,
} from 'apache-arrow';

/**
 * The Arrow schema and row-group layout of a Parquet file from its footer,
 * read in this thread with a small Thrift (compact protocol) reader: what
 * parquet-wasm's worker (arrow-rs) returns for the same file, without loading
 * the wasm decoder (about 240 CPU-ms per fresh process).
 *
 * Only the cases whose arrow-rs result is known exactly are answered: a flat
 * schema of BOOLEAN, INT32 (plain, INT(8|16|32), DATE), INT64 (plain, INT(64),
 * TIMESTAMP), FLOAT, DOUBLE and BYTE_ARRAY (plain → Binary, STRING/UTF8 →
 * Utf8) columns, with an embedded `ARROW:schema` only where it names the same
 * types. Everything else (nested columns, other annotations, a hint that
 * changes a type, anything odd in the footer) returns null and the caller asks
 * parquet-wasm, so that file is inspected, or rejected, exactly as before.
 * test/io/parquet-footer.test.ts compares both on every test file.
 */
export interface FooterLayout {
  schema: Schema;
  rows: number;
  unitRows: number[];
}

/** Footers larger than this are left to parquet-wasm. */
const MAX_FOOTER = 16 << 20;

export async function parquetFooterLayout(path: string): Promise<FooterLayout | null> {
  let meta: Uint8Array;
  try {
    meta = await readFooter(path);
  } catch {
    // unreadable, missing, a directory…: parquet-wasm reports it as it always did
    return null;
  }
  try {
    return meta.length === 0 ? null : layoutFromFooter(meta);
  } catch {
    return null;
  }
}

async function readFooter(path: string): Promise<Uint8Array> {
  const none = new Uint8Array(0);
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    if (size < 12) return none;
    const tail = Buffer.alloc(8);
    await fh.read(tail, 0, 8, size - 8);
    if (tail.toString('latin1', 4, 8) !== 'PAR1') return none;
    const len = tail.readUInt32LE(0);
    if (len === 0 || len > MAX_FOOTER || len > size - 12) return none;
    const meta = Buffer.alloc(len);
    const { bytesRead } = await fh.read(meta, 0, len, size - 8 - len);
    return bytesRead === len ? meta : none;
  } finally {
    await fh.close();
  }
}

/** Why the last footer was left to parquet-wasm (tests, debugging). */
export let lastRefusal = '';
function refuse(why: string): null {
  lastRefusal = why;
  return null;
}

// ---- Thrift compact protocol: just enough for FileMetaData ----

class Bad extends Error {}

/** A Thrift i64 (NaN past 2^53), told apart from an i32 as arrow-rs's typed decoder would. */
class I64 {
  constructor(readonly v: number) {}
}
type Value = number | I64 | boolean | Uint8Array | Struct | Value[] | null;
type Struct = Map<number, Value>;

class Compact {
  pos = 0;
  depth = 0;
  constructor(private readonly b: Uint8Array) {}

  private byte(): number {
    if (this.pos >= this.b.length) throw new Bad('footer ends early');
    return this.b[this.pos++];
  }

  /** An unsigned varint as a number, exact up to 2^53 (NaN past it: never a count or an offset this reader uses). */
  private varint(): number {
    let out = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      const x = this.byte();
      out += (x & 0x7f) * mul;
      if ((x & 0x80) === 0) return out <= Number.MAX_SAFE_INTEGER ? out : NaN;
      mul *= 128;
    }
    throw new Bad('varint too long');
  }

  /** zigzag-decoded: (v >>> 1) ^ -(v & 1), in doubles */
  private zigzag(): number {
    const v = this.varint();
    if (Number.isNaN(v)) return NaN;
    return v % 2 === 0 ? v / 2 : -(v + 1) / 2;
  }

  private int32(): number {
    const v = this.zigzag();
    if (!(v >= -0x80000000 && v <= 0x7fffffff)) throw new Bad('i32 out of range');
    return v;
  }

  private size(): number {
    const v = this.varint();
    if (!(v <= this.b.length - this.pos)) throw new Bad('length past the footer');
    return v;
  }

  private value(type: number): Value {
    switch (type) {
      case 1: return true;
      case 2: return false;
      case 3: { const x = this.byte(); return x > 127 ? x - 256 : x; }
      case 4: case 5: return this.int32();
      case 6: return new I64(this.zigzag());
      case 7: { if (this.pos + 8 > this.b.length) throw new Bad('footer ends early'); this.pos += 8; return null; }
      case 8: { const n = this.size(); const s = this.b.subarray(this.pos, this.pos + n); this.pos += n; return s; }
      case 9: case 10: return this.list();
      case 11: throw new Bad('map in footer');
      case 12: return this.struct();
      default: throw new Bad(`bad thrift type ${type}`);
    }
  }

  private list(): Value[] {
    const h = this.byte();
    let n = h >> 4;
    const et = h & 0x0f;
    if (n === 15) n = this.size();
    const out: Value[] = [];
    for (let i = 0; i < n; i++) {
      if (et === 1 || et === 2) {
        // a bool element is one byte: 1 true, 2 (or 0) false
        const x = this.byte();
        out.push(x === 1);
      } else out.push(this.value(et));
    }
    return out;
  }

  struct(): Struct {
    if (++this.depth > 32) throw new Bad('footer nested too deep');
    const out: Struct = new Map();
    let id = 0;
    for (;;) {
      const h = this.byte();
      if (h === 0) break;
      const type = h & 0x0f;
      const delta = h >> 4;
      id = delta === 0 ? this.int32() : id + delta;
      if (out.has(id)) throw new Bad(`field ${id} repeated`);
      out.set(id, this.value(type));
    }
    this.depth--;
    return out;
  }
}

const isStruct = (v: Value | undefined): v is Struct => v instanceof Map;
const num = (v: Value | undefined): number | undefined => (typeof v === 'number' ? v : undefined);
const isI64 = (v: Value | undefined): v is I64 => v instanceof I64;
const text = (v: Value | undefined): string | undefined => (v instanceof Uint8Array ? utf8(v) : undefined);

const decoder = new TextDecoder('utf-8', { fatal: true });
function utf8(b: Uint8Array): string {
  return decoder.decode(b);
}

function i64(v: Value | undefined, what: string): number {
  if (!isI64(v) || !(v.v >= 0)) throw new Bad(`bad ${what}`);
  return v.v;
}

export function layoutFromFooter(meta: Uint8Array): FooterLayout | null {
  const c = new Compact(meta);
  const fmd = c.struct();
  // FileMetaData: 1 version, 2 schema, 3 num_rows, 4 row_groups, 5 key_value_metadata;
  // 8 encryption_algorithm (a plaintext footer of an encrypted file) is not for this path
  if (fmd.has(8)) return refuse('encrypted');
  const elems = fmd.get(2);
  const groups = fmd.get(4);
  if (!Array.isArray(elems) || !Array.isArray(groups) || !elems.every(isStruct) || !groups.every(isStruct)) return refuse('no schema or row groups');
  const rows = i64(fmd.get(3), 'num_rows');

  // SchemaElement: 1 type, 2 type_length, 3 repetition_type, 4 name, 5 num_children,
  // 6 converted_type, 7 scale, 8 precision, 9 field_id, 10 logicalType
  const [root, ...leaves] = elems as Struct[];
  if (!root || root.has(1) || num(root.get(5)) !== leaves.length || text(root.get(4)) === undefined) return refuse('not a flat schema');
  const fields: Field[] = [];
  for (const e of leaves) {
    const name = text(e.get(4));
    const physical = num(e.get(1));
    const rep = num(e.get(3));
    if (name === undefined || physical === undefined || (e.has(5) && num(e.get(5)) !== 0) || (rep !== 0 && rep !== 1)) return refuse('a column element');
    const type = arrowType(physical, num(e.get(6)), e.get(10), e);
    if (!type) return null;
    const id = num(e.get(9));
    const metadata = new Map<string, string>();
    if (e.has(9)) {
      if (id === undefined) return refuse('field_id');
      metadata.set('PARQUET:field_id', String(id));
    }
    fields.push(new Field(name, type, rep === 1, metadata));
  }

  // RowGroup: 1 columns, 2 total_byte_size, 3 num_rows
  const unitRows: number[] = [];
  for (const g of groups as Struct[]) {
    const cols = g.get(1);
    if (!Array.isArray(cols) || cols.length !== leaves.length || !isI64(g.get(2))) return refuse('row group columns');
    if (!cols.every(plausibleChunk)) return refuse('column chunk metadata');
    unitRows.push(i64(g.get(3), 'row group num_rows'));
  }
  if (typeof fmd.get(1) !== 'number' || !allText(fmd)) return refuse('footer strings');

  // KeyValue: 1 key, 2 value; entries without a value are dropped, a later key wins (arrow-rs's HashMap)
  const kv = fmd.get(5);
  const metadata = new Map<string, string>();
  if (kv !== undefined) {
    if (!Array.isArray(kv) || !kv.every(isStruct)) return refuse('key-value metadata');
    for (const e of kv as Struct[]) {
      const k = text(e.get(1));
      if (k === undefined) return refuse('key-value metadata');
      if (!e.has(2)) continue;
      const v = text(e.get(2));
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
  if (!isStruct(c) || !isI64(c.get(2)) || c.has(8) || c.has(9)) return false;
  const m = c.get(3);
  if (!isStruct(m)) return false;
  const t = m.get(1), codec = m.get(4), enc = m.get(2), path = m.get(3);
  if (typeof t !== 'number' || t < 0 || t > 7 || typeof codec !== 'number' || codec < 0 || codec > 7) return false;
  if (!Array.isArray(enc) || !enc.every((e) => typeof e === 'number' && e >= 0 && e <= 9 && e !== 1)) return false;
  if (!Array.isArray(path) || !path.every((p) => p instanceof Uint8Array)) return false;
  for (const k of [5, 6, 7, 9]) if (!isI64(m.get(k))) return false;
  for (const k of [10, 11]) if (m.has(k) && !isI64(m.get(k))) return false;
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
    for (const [k, x] of v) {
      // ColumnMetaData (it has path_in_schema, 3, and codec, 4) field 12: Statistics; 14: bloom filter offset
      if (k === 12 && v.has(3) && typeof v.get(4) === 'number') continue;
      if (!allText(x)) return false;
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
function arrowType(physical: number, converted: number | undefined, logical: Value | undefined, e: Struct): DataType | null {
  // a decimal's scale/precision or a fixed length belong to types not handled here
  if (e.has(7) || e.has(8) || e.has(2)) return refuse('column type');
  let lt: { kind: number; body: Struct } | null = null;
  if (logical !== undefined) {
    if (!isStruct(logical) || logical.size !== 1) return refuse('column type');
    const [[kind, body]] = [...logical];
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
        if (lt.kind === 6 && lt.body.size === 0 && (converted === undefined || converted === 6)) return new DateDay();
        if (lt.kind === 10) {
          const w = num(lt.body.get(1));
          const signed = lt.body.get(2);
          if (typeof signed !== 'boolean' || lt.body.size !== 2) return refuse('column type');
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
          const w = num(lt.body.get(1));
          const signed = lt.body.get(2);
          if (w !== 64 || typeof signed !== 'boolean' || lt.body.size !== 2) return refuse('column type');
          if (converted !== undefined && converted !== (signed ? 18 : 14)) return refuse('column type');
          return signed ? new Int64() : new Uint64();
        }
        if (lt.kind === 8) {
          const utc = lt.body.get(1);
          const unit = lt.body.get(2);
          if (typeof utc !== 'boolean' || !isStruct(unit) || unit.size !== 1 || lt.body.size !== 2) return refuse('column type');
          const [[u, ub]] = [...unit];
          if (!isStruct(ub) || ub.size !== 0) return refuse('column type');
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
      if (lt) return lt.kind === 1 && lt.body.size === 0 && (converted === undefined || converted === 0) ? new Utf8() : refuse('column type');
      return converted === undefined ? new Binary() : converted === 0 ? new Utf8() : refuse('column type');
    }
    default: return refuse('column type');
  }
}
