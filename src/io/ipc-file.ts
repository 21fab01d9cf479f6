import { open, type FileHandle } from 'node:fs/promises';
import { MessageHeader, RecordBatchStreamReader, Type, type Field, type RecordBatch, type Schema } from 'apache-arrow';
import { Footer, type FileBlock } from 'apache-arrow/ipc/metadata/file';
import { Message } from 'apache-arrow/ipc/metadata/message';
import { fileVersionCacheAt } from '../fs/version-cache.js';
import { registerIpcCodecs } from './codecs.js';
import { sharedBufferOf, type SharedReadPool } from './shared-pool.js';
import { checkBatchMessageBounds, checkFooterBounds, checkSchemaMessageBounds } from './ipc-verify.js';

/** Thrown for structural damage; read.ts turns it into ORTQ_INPUT_CORRUPT naming the file. */
export class IpcFormatError extends Error {}

const MAGIC = 'ARROW1';
/** magic (6) + padding (2) at the start; footer length (4) + magic (6) at the end */
const HEAD = 8;
const TAIL = 10;
/** A footer or message header larger than this is not one we will believe. */
const MAX_METADATA = 64 << 20;
/** Bytes allowed between the last block and the footer: an end-of-stream marker and padding. */
const MAX_GAP = 64;
const EOS = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

/** A footer read and checked: the schema, the record batch blocks, and the stream prefix every batch is decoded behind. */
interface CheckedFooter {
  schema: Schema;
  blocks: FileBlock[];
  prefix: Uint8Array;
}

/** footers with more blocks than this are not kept (memory stays bounded) */
const FOOTER_BLOCKS_KEPT = 100_000;
/** footers read and checked, and footers taken as kept (tests, diagnostics) */
export const arrowFooterReads = { checked: 0, kept: 0 };

/**
 * Footers already checked and decoded in this process, by file version
 * (src/fs/version-cache.ts, shared with the CSV and Parquet layouts): a
 * queue's step process opens the same input once per shard, and decoding and
 * checking a footer of 1,000 batches cost about 1 ms each time
 * (docs/perf/queue-cost.md). A file that changed in any way is read and
 * checked again; a file changed less than a second ago is not kept (a write
 * in the same clock tick as its last change would leave its identity as it
 * was). The version is the one of the open handle (its stat), and a footer
 * derived here is read from that handle.
 */
const footerOf = fileVersionCacheAt<CheckedFooter, { fh: FileHandle; size: number; checked: boolean }>(
  16,
  async (_path, source) => {
    source.checked = true;
    arrowFooterReads.checked++;
    return readFooter(source.fh, source.size);
  },
  { keep: (f) => f.blocks.length <= FOOTER_BLOCKS_KEPT },
);

/**
 * Random-access reader for the Arrow IPC *file* format that checks every
 * offset and length from the footer against the file size before reading.
 * apache-arrow's own AsyncRecordBatchFileReader seeks to whatever the footer
 * says; a negative block offset makes its read loop spin forever (three of the
 * arrow-fuzz files do this). Here each record batch is read with one bounded
 * pread and decoded in memory as a one-batch stream: schema, dictionaries,
 * batch, end-of-stream.
 */
export class ArrowFileReader {
  private constructor(
    private readonly fh: FileHandle,
    readonly schema: Schema,
    private readonly blocks: FileBlock[],
    private readonly prefix: Uint8Array,
  ) {}

  static async open(path: string): Promise<ArrowFileReader> {
    registerIpcCodecs();
    const fh = await open(path, 'r');
    try {
      const st = await fh.stat({ bigint: true });
      const source = { fh, size: Number(st.size), checked: false };
      const { schema, blocks, prefix } = await footerOf(path, st, source);
      if (!source.checked) arrowFooterReads.kept++;
      return new ArrowFileReader(fh, schema, blocks, prefix);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  get numBatches(): number {
    return this.blocks.length;
  }

  /** Rows of each record batch, from the message headers only (no bodies read). */
  async batchRows(): Promise<number[]> {
    const rows: number[] = [];
    for (const b of this.blocks) {
      const meta = await readExact(this.fh, b.offset, b.metaDataLength);
      const msg = decodeFramed(meta);
      if (msg.headerType !== MessageHeader.RecordBatch) throw new IpcFormatError(`block at ${b.offset} is not a record batch`);
      const n = Number((msg.header() as { length: number | bigint }).length);
      if (!Number.isSafeInteger(n) || n < 0) throw new IpcFormatError(`record batch at ${b.offset} claims ${n} rows`);
      const { nodes, buffers } = msg.header() as { nodes: unknown[]; buffers: unknown[] };
      const fields = flatFields(this.schema.fields);
      if (nodes.length !== fields.length) throw new IpcFormatError(`record batch at ${b.offset} holds ${nodes.length} columns but the footer's schema has ${fields.length}: the footer or the batch is damaged`);
      const expected = expectedBuffers(fields);
      if (expected !== null && buffers.length !== expected) {
        throw new IpcFormatError(`record batch at ${b.offset} holds ${buffers.length} buffers but the footer's schema implies ${expected}: the footer or the batch is damaged`);
      }
      rows.push(n);
    }
    return rows;
  }

  /**
   * Decodes record batch `index` (one pread of exactly its bytes). With
   * `pool`, the bytes land in one of its shared buffers, counted out to the
   * caller (SharedReadPool); a failure gives it back.
   */
  async readBatch(index: number, pool?: SharedReadPool): Promise<RecordBatch> {
    const b = this.blocks[index];
    const len = b.metaDataLength + b.bodyLength;
    const size = this.prefix.length + len + EOS.length;
    // Not zero-filled: every byte is written below (readInto throws on a short read).
    // The batch's typed arrays are views into this buffer; the body starts 8-byte
    // aligned because the prefix and metaDataLength are multiples of 8.
    const sab = pool?.take(size);
    const buf = sab ? Buffer.from(sab, 0, size) : Buffer.allocUnsafeSlow(size);
    try {
      buf.set(this.prefix, 0);
      await readInto(this.fh, buf, this.prefix.length, len, b.offset);
      buf.set(EOS, this.prefix.length + len);
      const reader = RecordBatchStreamReader.from(buf) as RecordBatchStreamReader;
      const out: RecordBatch[] = [];
      for (const batch of reader) out.push(batch);
      if (out.length !== 1) throw new IpcFormatError(`block ${index} at offset ${b.offset} decodes to ${out.length} record batches`);
      // a batch that views none of the buffer (no rows; compressed buffers decode into fresh
      // ones) would hold it counted out for good: nothing the consumer gives back names it
      if (sab && sharedBufferOf(out[0]) !== sab) pool!.release(sab);
      return out[0];
    } catch (err) {
      if (sab) pool!.release(sab);
      throw err;
    }
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

/** Reads and checks the footer of the open file `fh` of `size` bytes (IpcFormatError for any damage). */
async function readFooter(fh: FileHandle, size: number): Promise<CheckedFooter> {
  if (size < HEAD + TAIL) throw new IpcFormatError(`file is ${size} bytes, too short for Arrow IPC`);
  const head = await readExact(fh, 0, 6);
  const tail = await readExact(fh, size - TAIL, TAIL);
  if (ascii(head) !== MAGIC || ascii(tail.subarray(4)) !== MAGIC) {
    throw new IpcFormatError('missing ARROW1 magic (not an Arrow IPC file; a .arrows stream?)');
  }
  const footerLength = new DataView(tail.buffer, tail.byteOffset).getInt32(0, true);
  const footerStart = size - TAIL - footerLength;
  if (footerLength <= 0 || footerLength > MAX_METADATA || footerStart < HEAD) {
    throw new IpcFormatError(`footer length ${footerLength} does not fit a ${size}-byte file`);
  }
  const footerBytes = await readExact(fh, footerStart, footerLength);
  checkFooterBounds(footerBytes);
  const footer = Footer.decode(footerBytes);
  const schema = footer.schema;
  if (!schema || !Array.isArray(schema.fields)) throw new IpcFormatError('footer holds no schema');
  const badName = flatFields(schema.fields).find((f) => typeof f.name !== 'string' || !isPlainText(f.name));
  if (badName) throw new IpcFormatError(`the footer's field name ${JSON.stringify(badName.name)} is not valid text: the footer is damaged`);
  // The file repeats its schema as the first message after the magic: a
  // footer damaged into another valid-looking schema differs from it.
  const { schema: leading, end: leadingEnd } = await leadingSchema(fh, footerStart);
  if (leading && describeSchema(leading) !== describeSchema(schema)) {
    throw new IpcFormatError(`the footer's schema (${describeSchema(schema)}) differs from the file's schema message (${describeSchema(leading)}): the footer is damaged`);
  }
  const blocks = [...footer.recordBatches()];
  const dicts = [...footer.dictionaryBatches()];
  for (const b of [...blocks, ...dicts]) checkBlock(b, footerStart);
  // the blocks end where the footer starts (less an end-of-stream marker): a
  // footer that lost blocks would otherwise read as fewer rows, silently
  const covered = Math.max(leadingEnd, ...[...blocks, ...dicts].map((b) => b.offset + b.metaDataLength + b.bodyLength));
  if (footerStart - covered > MAX_GAP) {
    throw new IpcFormatError(`${footerStart - covered} bytes before the footer belong to no block the footer lists: the footer is damaged`);
  }

  // The stream prefix every batch is decoded behind: schema + all dictionary batches.
  const schemaMsg = frame(Message.encode(Message.from(schema)));
  const parts: Uint8Array[] = [schemaMsg];
  for (const d of dicts) parts.push(await readExact(fh, d.offset, d.metaDataLength + d.bodyLength));
  const prefix = concat(parts);
  return { schema, blocks, prefix };
}

/**
 * The schema message at the start of the file (after magic and padding), or
 * null where the writer left it out (apache-arrow's JS file writer starts
 * with the first record batch).
 */
async function leadingSchema(fh: FileHandle, limit: number): Promise<{ schema: Schema | null; end: number }> {
  const prefix = await readExact(fh, HEAD, 8);
  const dv = new DataView(prefix.buffer, prefix.byteOffset, 8);
  // [0xFFFFFFFF] int32 length; files before Arrow 0.15 omit the continuation marker
  const legacy = dv.getInt32(0, true) !== -1;
  const len = legacy ? dv.getInt32(0, true) : dv.getInt32(4, true);
  const start = HEAD + (legacy ? 4 : 8);
  if (len <= 0 || len > MAX_METADATA || start + len > limit) throw new IpcFormatError(`the first message claims ${len} bytes of metadata, which do not fit before the footer`);
  const meta = await readExact(fh, start, len);
  if (!checkSchemaMessageBounds(meta)) return { schema: null, end: HEAD };
  const msg = Message.decode(meta);
  return { schema: msg.header() as Schema, end: start + len + Number(msg.bodyLength) };
}

/**
 * Buffers a record batch holds for these fields (format version 5), or null
 * when a type's count depends on more than its type id (unions, views).
 */
function expectedBuffers(fields: Field[]): number | null {
  let n = 0;
  for (const f of fields) {
    switch (f.type.typeId) {
      case Type.Null: break;
      case Type.Struct: case Type.FixedSizeList: n += 1; break;
      case Type.Utf8: case Type.Binary: case Type.LargeUtf8: case Type.LargeBinary: n += 3; break;
      case Type.Bool: case Type.Int: case Type.Float: case Type.Decimal: case Type.Date: case Type.Time:
      case Type.Timestamp: case Type.Interval: case Type.Duration: case Type.FixedSizeBinary:
      case Type.List: case Type.LargeList: case Type.Map: case Type.Dictionary:
        n += 2; break;
      default: return null;
    }
  }
  return n;
}

/** Every field, children included, depth first: one IPC field node each. */
function flatFields(fields: readonly Field[]): Field[] {
  return fields.flatMap((f) => [f, ...flatFields((f.type.children ?? []) as Field[])]);
}

/** Text a writer would emit as a name: no replacement characters (invalid UTF-8), no control characters. */
function isPlainText(s: string): boolean {
  return !/[\u0000-\u001f\u007f\ufffd]/.test(s);
}

function describeSchema(schema: Schema): string {
  return schema.fields.map((f) => `${f.name}: ${String(f.type)}${f.nullable ? '' : ' not null'}`).join(', ');
}

function checkBlock(b: FileBlock, limit: number): void {
  const { offset, metaDataLength, bodyLength } = b;
  const ok = [offset, metaDataLength, bodyLength].every((n) => Number.isSafeInteger(n) && n >= 0)
    && offset >= HEAD && metaDataLength >= 8 && metaDataLength <= MAX_METADATA
    && offset + metaDataLength + bodyLength <= limit;
  if (!ok) {
    throw new IpcFormatError(`footer block (offset ${offset}, metadata ${metaDataLength}, body ${bodyLength}) lies outside the file's data (${limit} bytes)`);
  }
}

/** Parses a framed message header: [0xFFFFFFFF] int32 length, flatbuffer. */
function decodeFramed(buf: Uint8Array): Message {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos = 0;
  let len = dv.getInt32(0, true);
  if (len === -1) { len = dv.getInt32(4, true); pos = 8; } else pos = 4;
  if (len <= 0 || pos + len > buf.length) throw new IpcFormatError(`message metadata length ${len} exceeds its block (${buf.length} bytes)`);
  const meta = buf.subarray(pos, pos + len);
  checkBatchMessageBounds(meta);
  return Message.decode(meta);
}

function frame(meta: Uint8Array): Uint8Array {
  const padded = (meta.length + 7) & ~7;
  const out = new Uint8Array(8 + padded);
  const dv = new DataView(out.buffer);
  dv.setInt32(0, -1, true);
  dv.setInt32(4, padded, true);
  out.set(meta, 8);
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let pos = 0;
  for (const p of parts) { out.set(p, pos); pos += p.length; }
  return out;
}

function ascii(b: Uint8Array): string {
  return String.fromCharCode(...b);
}

async function readExact(fh: FileHandle, position: number, length: number): Promise<Uint8Array> {
  const buf = new Uint8Array(length);
  await readInto(fh, buf, 0, length, position);
  return buf;
}

/** pread until `length` bytes are in; a short file is an error, never a spin. */
async function readInto(fh: FileHandle, buf: Uint8Array, offset: number, length: number, position: number): Promise<void> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, offset + done, length - done, position + done);
    if (bytesRead <= 0) throw new IpcFormatError(`unexpected end of file at byte ${position + done}`);
    done += bytesRead;
  }
}
