/**
 * A bounds check of the Arrow IPC footer (and schema message) flatbuffers
 * before apache-arrow decodes them. Its decoder trusts every vector length it
 * reads: one flipped byte in a footer can claim a billion fields, and
 * decoding loops until the heap is gone. Here every table, vector and string
 * the decoder will walk must lie inside the buffer.
 */

/** Thrown for a flatbuffer whose offsets or lengths leave its buffer. */
export class FlatbufferBoundsError extends Error {}

const MAX_DEPTH = 64;
const UNION_TYPE = 14;
const SCHEMA_HEADER = 1;

class Walker {
  private readonly dv: DataView;
  constructor(private readonly buf: Uint8Array, private readonly what: string) {
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  fail(detail: string): never {
    throw new FlatbufferBoundsError(`${this.what}: ${detail}`);
  }

  private need(pos: number, len: number, detail: string): void {
    if (!Number.isSafeInteger(pos) || pos < 0 || len < 0 || pos + len > this.buf.length) this.fail(`${detail} lies outside its ${this.buf.length}-byte buffer`);
  }

  /** A table at `pos`: its vtable must fit; returns a reader of field offsets. */
  table(pos: number): (field: number) => number {
    this.need(pos, 4, `table at ${pos}`);
    const vt = pos - this.dv.getInt32(pos, true);
    this.need(vt, 4, `vtable at ${vt}`);
    const vtLen = this.dv.getUint16(vt, true);
    const objLen = this.dv.getUint16(vt + 2, true);
    this.need(vt, vtLen, `vtable at ${vt}`);
    this.need(pos, objLen, `table at ${pos}`);
    return (field) => {
      const at = 4 + field * 2;
      if (at + 2 > vtLen) return 0;
      const off = this.dv.getUint16(vt + at, true);
      if (off >= objLen) this.fail(`field ${field} of the table at ${pos} lies outside it`);
      return off === 0 ? 0 : pos + off;
    };
  }

  /** The target of the offset stored at `at` (a table, vector or string). */
  deref(at: number): number {
    this.need(at, 4, `offset at ${at}`);
    return at + this.dv.getUint32(at, true);
  }

  /** A vector whose elements are `size` bytes; returns its element count and first element. */
  vector(at: number, size: number): { n: number; start: number } {
    if (at === 0) return { n: 0, start: 0 };
    const pos = this.deref(at);
    this.need(pos, 4, `vector at ${pos}`);
    const n = this.dv.getUint32(pos, true);
    this.need(pos + 4, n * size, `vector of ${n} at ${pos}`);
    return { n, start: pos + 4 };
  }

  /** A vector of tables: each element checked with `each`. */
  tables(at: number, each: (pos: number) => void): void {
    const { n, start } = this.vector(at, 4);
    for (let i = 0; i < n; i++) each(this.deref(start + i * 4));
  }

  byteAt(at: number): number {
    return at === 0 ? 0 : this.buf[at];
  }
}

function keyValue(w: Walker, pos: number): void {
  const f = w.table(pos);
  w.vector(f(0), 1);
  w.vector(f(1), 1);
}

function field(w: Walker, pos: number, depth: number): void {
  if (depth > MAX_DEPTH) w.fail('fields nest too deep');
  const f = w.table(pos);
  w.vector(f(0), 1); // name
  if (f(3) !== 0) {
    const type = w.table(w.deref(f(3)));
    if (w.byteAt(f(2)) === UNION_TYPE) w.vector(type(1), 4); // typeIds
  }
  if (f(4) !== 0) {
    const dict = w.table(w.deref(f(4)));
    if (dict(1) !== 0) w.table(w.deref(dict(1))); // index type
  }
  w.tables(f(5), (p) => field(w, p, depth + 1));
  w.tables(f(6), (p) => keyValue(w, p));
}

function schema(w: Walker, pos: number): void {
  const f = w.table(pos);
  w.tables(f(1), (p) => field(w, p, 0));
  w.tables(f(2), (p) => keyValue(w, p));
  w.vector(f(3), 8);
}

/** Checks a File footer flatbuffer (schema, dictionary and record batch blocks, metadata). */
export function checkFooterBounds(buf: Uint8Array): void {
  const w = new Walker(buf, 'footer');
  const f = w.table(w.deref(0));
  if (f(1) === 0) w.fail('it holds no schema');
  schema(w, w.deref(f(1)));
  w.vector(f(2), 24);
  w.vector(f(3), 24);
  w.tables(f(4), (p) => keyValue(w, p));
}

/**
 * Checks a Message flatbuffer if its header is a Schema; returns false
 * (checking nothing more) for any other message.
 */
export function checkSchemaMessageBounds(buf: Uint8Array): boolean {
  const w = new Walker(buf, 'schema message');
  const f = w.table(w.deref(0));
  if (w.byteAt(f(1)) !== SCHEMA_HEADER) return false;
  if (f(2) === 0) w.fail('it holds no header');
  schema(w, w.deref(f(2)));
  w.tables(f(4), (p) => keyValue(w, p));
  return true;
}

/** Checks a Message flatbuffer whose header is a RecordBatch or DictionaryBatch. */
export function checkBatchMessageBounds(buf: Uint8Array): void {
  const w = new Walker(buf, 'record batch message');
  const f = w.table(w.deref(0));
  if (f(2) === 0) w.fail('it holds no header');
  const header = w.table(w.deref(f(2)));
  const kind = w.byteAt(f(1));
  // a DictionaryBatch wraps its RecordBatch in field 1
  const batch = kind === 2 ? (header(1) === 0 ? null : w.table(w.deref(header(1)))) : header;
  if (batch) {
    w.vector(batch(1), 16); // field nodes
    w.vector(batch(2), 16); // buffers
    if (batch(3) !== 0) w.table(w.deref(batch(3)));
    w.vector(batch(4), 8);
  }
  w.tables(f(4), (p) => keyValue(w, p));
}
