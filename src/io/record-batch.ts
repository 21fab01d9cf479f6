/**
 * Record batches built without apache-arrow's constructor cost. `new
 * RecordBatch(schema, data)` runs ensureSameLengthData, which ends in
 * `schema.assign(fields)`: a new Schema, every field cloned with merged
 * metadata and looked up by name among the others, for every batch (about
 * 1 ms for 64 columns; 80 ms of main-thread CPU on a 10M-row run, and every
 * 16384-row slice got a Schema of its own, so nothing could be cached per
 * schema). The readers build batches whose children all have the batch's
 * length, where that pass changes nothing; these keep the schema object as
 * given, so caches keyed on it (column indexes, drift count layouts) hold
 * across the batches of a file.
 */
import { RecordBatch, Vector, type Data, type Schema, type Struct, type TypeMap } from 'apache-arrow';

/** The fields RecordBatch's constructor sets (apache-arrow 21, pinned); test/io/record-batch.test.ts checks them against it. */
interface BatchFields { schema: Schema; data: Data<Struct>; _metadata: Map<string, string> }

/**
 * A RecordBatch of `schema` over `data` (a Struct whose children each have
 * `data.length` values), keeping `schema` itself. Data that does not fit that
 * (a child of another length, a field count that differs) goes through the
 * constructor, which pads or refuses as it always did.
 */
export function recordBatch<T extends TypeMap = TypeMap>(schema: Schema<T>, data: Data<Struct<T>>, metadata: Map<string, string> = new Map()): RecordBatch<T> {
  const children = data.children;
  let fits = children.length === schema.fields.length;
  for (let i = 0; fits && i < children.length; i++) fits = children[i].length === data.length;
  if (!fits) return new RecordBatch(schema, data, metadata);
  const batch = Object.create(RecordBatch.prototype) as BatchFields;
  batch.schema = schema;
  batch.data = data as Data<Struct>;
  batch._metadata = metadata;
  return batch as unknown as RecordBatch<T>;
}

/** Rows [begin, end) of a batch, zero-copy, with the batch's own schema object (RecordBatch.slice, without a new Schema). */
export function sliceBatch<T extends TypeMap>(batch: RecordBatch<T>, begin: number, end: number): RecordBatch<T> {
  const [slice] = new Vector([batch.data]).slice(begin, end).data;
  return recordBatch(batch.schema, slice, batch.metadata);
}

/** Per schema, each field name's first index (as getChild finds it). */
const fieldIndexes = new WeakMap<Schema, Map<string, number>>();

/**
 * `batch.getChild(name)` through an index made once per schema object:
 * getChild searches the fields by name on every call, 64 columns × every
 * batch (94 ms of main-thread CPU on a 10M-row run of 64 columns).
 */
export function childOf(batch: RecordBatch, name: string): Vector | null {
  let at = fieldIndexes.get(batch.schema);
  if (!at) {
    at = new Map();
    for (const [i, f] of batch.schema.fields.entries()) if (!at.has(f.name)) at.set(f.name, i);
    fieldIndexes.set(batch.schema, at);
  }
  const i = at.get(name);
  return i === undefined ? null : batch.getChildAt(i);
}
