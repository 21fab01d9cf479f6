import { createRequire } from 'node:module';
import {
  AsyncByteQueue, RecordBatchFileWriter, Schema, Table, tableToIPC, Type, type RecordBatch, type Vector,
} from 'apache-arrow';
import type { OutputFormat } from '../predict/types.js';

/**
 * Turns record batches into the bytes of one output file. `push` returns the
 * bytes to append now; `end` the closing bytes. Output is a pure function of
 * the batches: no timestamps, no random ids.
 */
export interface PartEncoder {
  push(batch: RecordBatch): Uint8Array[];
  end(): Uint8Array[];
}

export function createEncoder(format: OutputFormat): PartEncoder {
  switch (format) {
    case 'arrow': return new ArrowFileEncoder();
    case 'csv': return new CsvEncoder();
    case 'parquet': return new ParquetEncoder();
  }
}

/** Collects what RecordBatchFileWriter emits so the caller can write it out at once. */
class ChunkSink extends AsyncByteQueue {
  chunks: Uint8Array[] = [];
  override write(value: ArrayBufferView | ArrayBuffer | string): void {
    const v = value as Uint8Array;
    if (v.byteLength > 0) this.chunks.push(v);
  }
  take(): Uint8Array[] {
    const out = this.chunks;
    this.chunks = [];
    return out;
  }
}

class ArrowFileEncoder implements PartEncoder {
  private readonly sink = new ChunkSink();
  private readonly writer = new RecordBatchFileWriter();
  private started = false;

  push(batch: RecordBatch): Uint8Array[] {
    if (!this.started) {
      this.writer.reset(this.sink as never, batch.schema);
      this.started = true;
    }
    this.writer.write(batch);
    return this.sink.take();
  }

  end(): Uint8Array[] {
    if (!this.started) return [tableToIPC(new Table(new Schema([])), 'file')];
    this.writer.finish();
    return this.sink.take();
  }
}

const require = createRequire(import.meta.url);
type ParquetWasm = typeof import('parquet-wasm');
let parquetWasm: ParquetWasm | null = null;

/** parquet-wasm in this thread, for writing; reloaded after a wasm trap, which poisons the instance. */
function loadParquetWasm(fresh = false): ParquetWasm {
  const path = require.resolve('parquet-wasm/node');
  if (fresh) { delete require.cache[path]; parquetWasm = null; }
  parquetWasm ??= require(path) as ParquetWasm;
  return parquetWasm;
}

/**
 * Buffers the part's batches (parts are bounded by the engine) and encodes
 * them with one writeParquet call at the end: synchronous wasm, so a panic is
 * a catchable RuntimeError rather than a process crash.
 */
class ParquetEncoder implements PartEncoder {
  private batches: RecordBatch[] = [];
  private schema: Schema | null = null;

  push(batch: RecordBatch): Uint8Array[] {
    this.schema ??= batch.schema;
    this.batches.push(batch);
    return [];
  }

  end(): Uint8Array[] {
    const table = new Table(this.schema ?? new Schema([]), ...(this.batches.length ? [this.batches] : []));
    this.batches = [];
    const ipc = tableToIPC(table, 'stream');
    const floats = table.schema.fields.filter((f) => f.type.typeId === Type.Float).map((f) => f.name);
    try {
      return [encodeParquet(loadParquetWasm(), ipc, floats)];
    } catch (err) {
      if (err instanceof WebAssembly.RuntimeError) loadParquetWasm(true);
      throw err;
    }
  }
}

/** Row groups are the unit of sharding and of reader memory: keep them moderate. */
export const PARQUET_ROW_GROUP_ROWS = 131_072;

/**
 * Dictionary encoding is off for floating-point columns: scores and features
 * are nearly all distinct, so a dictionary made them ~1.5× larger than plain
 * and slower to write and to read back.
 */
function encodeParquet(pw: ParquetWasm, ipc: Uint8Array, floatColumns: string[]): Uint8Array {
  const wasmTable = pw.Table.fromIPCStream(ipc);
  let builder = new pw.WriterPropertiesBuilder()
    .setCompression(pw.Compression.SNAPPY)
    .setMaxRowGroupSize(PARQUET_ROW_GROUP_ROWS);
  for (const name of floatColumns) builder = builder.setColumnDictionaryEnabled(name, false);
  return pw.writeParquet(wasmTable, builder.build());
}

/** RFC 4180: a field holding a comma, quote, CR or LF is quoted, quotes doubled. */
export function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function formatCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  switch (typeof v) {
    case 'number': return Number.isNaN(v) ? 'NaN' : String(v);
    case 'bigint': case 'boolean': return String(v);
    case 'string': return csvField(v);
    default:
      if (v instanceof Date) return v.toISOString();
      return csvField(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)));
  }
}

class CsvEncoder implements PartEncoder {
  private header: string | null = null;
  private readonly enc = new TextEncoder();

  push(batch: RecordBatch): Uint8Array[] {
    let out = '';
    if (this.header === null) {
      this.header = batch.schema.fields.map((f) => csvField(f.name)).join(',') + '\n';
      out += this.header;
    }
    const cols = batch.schema.fields.map((_, i) => batch.getChildAt(i)!);
    const getters = cols.map(cellGetter);
    const n = batch.numRows;
    const parts: string[] = new Array(cols.length);
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < getters.length; c++) parts[c] = getters[c](r);
      out += parts.join(',') + '\n';
    }
    return [this.enc.encode(out)];
  }

  end(): Uint8Array[] {
    return [];
  }
}

/** Fast path for null-free single-chunk float/int columns; vector.get otherwise. */
function cellGetter(v: Vector): (row: number) => string {
  const t = v.type.typeId;
  if (v.data.length === 1 && v.nullCount === 0 && (t === Type.Float || t === Type.Int)) {
    const values = v.data[0].values as ArrayLike<number | bigint>;
    const off = v.data[0].offset;
    if (typeof values[0] !== 'bigint' && (v.type as { precision?: number }).precision !== 0) {
      return (r) => { const x = values[off + r] as number; return Number.isNaN(x) ? 'NaN' : String(x); };
    }
  }
  return (r) => formatCell(v.get(r));
}
