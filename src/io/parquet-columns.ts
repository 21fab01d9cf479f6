import { makeData, RecordBatch, RecordBatchReader, Struct, Type, type Data, type DataType, type Schema } from 'apache-arrow';
import { recordBatch } from './record-batch.js';

/** One column as the decode worker sends it (see parquet-worker-source.ts). */
export interface TransferredColumn {
  /** Arrow C data interface format string */
  fmt: string;
  length: number;
  nullCount: number;
  validity: ArrayBuffer | null;
  values: ArrayBuffer;
  /** int32 offsets, rebased to 0, for utf8/binary */
  offsets: ArrayBuffer | null;
}

/** Schema of a stream from the IPC bytes the worker sends ('inspect', and the first column batch). */
export function schemaFromIpc(bytes: Uint8Array): Schema {
  const reader = RecordBatchReader.from(bytes);
  reader.open();
  return reader.schema;
}

/**
 * Wraps transferred buffers as Arrow JS Data without copying them. Each buffer
 * was sized by the worker from the C struct; findBatchProblem (read.ts) then
 * checks them against the lengths, so a mismatch is an error, not a short view.
 */
export function batchFromTransferred(schema: Schema, rows: number, cols: TransferredColumn[]): RecordBatch {
  if (cols.length !== schema.fields.length) {
    throw new Error(`decoded batch has ${cols.length} columns, the schema ${schema.fields.length}`);
  }
  const children = cols.map((c, i) => columnData(schema.fields[i].type, c, schema.fields[i].name));
  return recordBatch(schema, makeData({ type: new Struct(schema.fields), length: rows, nullCount: 0, children }));
}

function columnData(type: DataType, c: TransferredColumn, name: string): Data {
  const nullBitmap = c.validity ? new Uint8Array(c.validity) : undefined;
  const nullCount = c.validity ? c.nullCount : 0;
  const common = { length: c.length, nullCount, nullBitmap };
  const mismatch = (): Error => new Error(`column "${name}": decoded as "${c.fmt}", schema says ${String(type)}`);
  switch (type.typeId) {
    case Type.Utf8: case Type.Binary: {
      if (c.fmt !== (type.typeId === Type.Utf8 ? 'u' : 'z') || !c.offsets) throw mismatch();
      return makeData({ type, ...common, valueOffsets: new Int32Array(c.offsets), data: new Uint8Array(c.values) } as never);
    }
    case Type.Bool:
      if (c.fmt !== 'b') throw mismatch();
      return makeData({ type, ...common, data: new Uint8Array(c.values) } as never);
    case Type.Int: case Type.Float: case Type.Date: case Type.Timestamp: {
      const T = (type as DataType & { ArrayType: { BYTES_PER_ELEMENT: number; new (b: ArrayBuffer): ArrayLike<unknown> } }).ArrayType;
      const width = T.BYTES_PER_ELEMENT * ((type as { stride?: number }).stride ?? 1);
      if (c.fmt === 'b' || c.fmt === 'u' || c.fmt === 'z' || c.values.byteLength !== width * c.length) throw mismatch();
      return makeData({ type, ...common, data: new T(c.values) } as never);
    }
    default:
      throw mismatch();
  }
}
