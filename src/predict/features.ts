import { Type, type RecordBatch, type Vector } from 'apache-arrow';
import { OrtqError } from '../errors.js';
import { childOf } from '../io/record-batch.js';
import { fixedListInfo, type InputSpec } from './feature-schema.js';
import type { SharedFeed } from './inference-thread.js';
import type { NullPolicy } from './types.js';

export { checkFeatureSchema, type InputSpec } from './feature-schema.js';

type NumArray = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Int8Array | Int16Array | Uint16Array | Uint32Array | BigUint64Array;

function allocate(elemType: string, n: number): NumArray {
  switch (elemType) {
    case 'float32': return new Float32Array(n);
    case 'float64': return new Float64Array(n);
    case 'int64': return new BigInt64Array(n);
    case 'uint64': return new BigUint64Array(n);
    case 'int32': return new Int32Array(n);
    case 'uint32': return new Uint32Array(n);
    case 'int16': return new Int16Array(n);
    case 'uint16': return new Uint16Array(n);
    case 'int8': return new Int8Array(n);
    case 'uint8': case 'bool': return new Uint8Array(n);
    default: throw new OrtqError('ORTQ_SCHEMA_MISMATCH', `cannot feed element type ${elemType}`);
  }
}

/**
 * Reads a column's values as numbers where the layout is plain; null otherwise.
 * Arrow JS slices value buffers eagerly (Data.offset only applies to the
 * validity bitmap), so `values` starts at the batch's first row.
 */
function plainNumbers(vec: Vector): ArrayLike<number> | null {
  if (vec.data.length !== 1) return null;
  const d = vec.data[0];
  const t = vec.type;
  if (t.typeId === Type.Float && (t as unknown as { precision: number }).precision !== 0) {
    return (d.values as Float32Array | Float64Array).subarray(0, d.length);
  }
  if (t.typeId === Type.Int && (t as unknown as { bitWidth: number }).bitWidth <= 32) {
    return (d.values as Int32Array).subarray(0, d.length);
  }
  return null;
}

function isValid(vec: Vector, row: number): boolean {
  if (vec.nullCount === 0) return true;
  return vec.isValid(row);
}

/**
 * A pool of tensor buffers per model input. Allocating a fresh multi-MB array
 * per batch costs page faults and GC that outweigh the copy itself, so
 * buffers go back to the pool once onnxruntime is done with them (after a
 * round trip through the inference thread, where they were transferred).
 */
export class FeatureScratch {
  private readonly free = new Map<string, NumArray[]>();

  take(name: string, elemType: string, length: number): NumArray {
    const list = this.free.get(name) ?? [];
    const i = list.findIndex((b) => b.byteLength > 0 && b.length >= length && bufferType(b) === elemType);
    const buf = i >= 0 ? list.splice(i, 1)[0] : allocate(elemType, length);
    return buf.length === length ? buf : (buf.subarray(0, length) as NumArray);
  }

  /** Returns a buffer (any view of it) to the pool. */
  give(name: string, view: ArrayLike<unknown>): void {
    const v = view as NumArray;
    if (!ArrayBuffer.isView(v) || !(v.buffer instanceof ArrayBuffer) || v.buffer.byteLength === 0) return;
    const Ctor = v.constructor as new (b: ArrayBuffer) => NumArray;
    const list = this.free.get(name) ?? [];
    if (list.length < 4) list.push(new Ctor(v.buffer));
    this.free.set(name, list);
  }
}

function bufferType(a: NumArray): string {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int32Array) return 'int32';
  return 'other';
}

/** 2^128 - 2^103: the smallest magnitude that rounds to Infinity as a float32. */
const F32_OVERFLOW = 3.4028235677973366e38;

/**
 * NaN, ±Infinity, or (for a float32 input) a value too large for float32:
 * all of them follow the nulls: policy, never reach the model silently.
 */
function isNonFinite(v: number, f32: boolean): boolean {
  return v - v !== 0 || (f32 && (v >= F32_OVERFLOW || v <= -F32_OVERFLOW));
}

function describeValue(v: number, f32: boolean): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return String(v);
  return f32 ? `${v}, too large for float32` : String(v);
}

type Dst = Float32Array | Float64Array | Int32Array | Uint8Array | Int8Array | Int16Array | Uint16Array | Uint32Array;

/**
 * Copies one plain column into every k-th slot of `out`; returns how many
 * values were not finite in the source or became non-finite in `out`
 * (a float64 beyond float32's range).
 */
function copyStrided(src: ArrayLike<number>, out: Dst, rows: number, k: number, offset: number): number {
  let nan = 0;
  for (let r = 0, p = offset; r < rows; r++, p += k) {
    const v = src[r];
    out[p] = v;
    const w = out[p];
    if (v - v !== 0 || w - w !== 0) nan++;
  }
  return nan;
}

/**
 * The hot path: every feature column plain (float or ≤32-bit int, or a
 * FixedSizeList of those) with no nulls; NaN detection is fused into the one
 * copy. Returns null when the batch holds a null or NaN or another layout, and
 * the careful path takes over.
 */
function fastFeatures(batch: RecordBatch, features: Record<string, string[]>, inputs: InputSpec[], scratch?: FeatureScratch, columnMajor?: ReadonlySet<string>): FeatureBatch | null {
  const rows = batch.numRows;
  const tensors: FeatureBatch['tensors'] = new Map();
  let valuesSeen = true;
  for (const spec of inputs) {
    if (spec.elemType === 'string' || spec.elemType === 'int64' || spec.elemType === 'uint64') return null;
    const cols = features[spec.name].map((c) => childOf(batch, c)!);
    const srcs: Array<{ values: ArrayLike<number>; width: number }> = [];
    for (const vec of cols) {
      if (vec.nullCount !== 0) return null;
      const list = fixedListInfo(vec.type);
      if (list) {
        const child = vec.data.length === 1 ? vec.data[0].children[0] : null;
        if (!child || child.nullCount !== 0 || !(child.values instanceof Float32Array || child.values instanceof Float64Array || child.values instanceof Int32Array)) return null;
        srcs.push({ values: (child.values as Float32Array).subarray(0, rows * list.size), width: list.size });
      } else {
        const plain = plainNumbers(vec);
        if (!plain) return null;
        srcs.push({ values: plain, width: 1 });
      }
    }
    const k = srcs.reduce((a, b) => a + b.width, 0);
    const out = (scratch ? scratch.take(spec.name, spec.elemType, rows * k) : allocate(spec.elemType, rows * k)) as Dst;
    if (columnMajor?.has(spec.name)) {
      if (!copyColumnMajor(srcs, out, rows, isFloatElem(spec.elemType))) return null;
      tensors.set(spec.name, { type: spec.elemType, data: out as NumArray, dims: [k, rows] });
      if (isFloatElem(spec.elemType)) valuesSeen = false;
      continue;
    }
    const dims = spec.shape.length <= 1 ? [rows] : [rows, k];
    let offset = 0;
    let nan = 0;
    for (const src of srcs) {
      if (src.width === 1) nan += copyStrided(src.values, out, rows, k, offset);
      else {
        const v = src.values;
        for (let r = 0; r < rows; r++) {
          for (let j = 0, q = r * src.width, p = r * k + offset; j < src.width; j++) {
            const x = v[q + j];
            out[p + j] = x;
            const w = out[p + j];
            if (x - x !== 0 || w - w !== 0) nan++;
          }
        }
      }
      offset += src.width;
    }
    // NaN or ±Inf in a float source is a problem whether the input keeps it (float inputs) or casts it away silently (ints)
    if (nan > 0) return null;
    tensors.set(spec.name, { type: spec.elemType, data: out as NumArray, dims });
  }
  return { tensors, keep: null, rows, skipped: 0, valuesSeen };
}

/**
 * The shared fast path (InferenceThread.runShared): every model input fed
 * column-major, every feature column plain (float or ≤32-bit int), null-free
 * and a view of a SharedArrayBuffer (src/io/shared-pool.ts). Returns each
 * input's columns as they are, for the inference thread to copy; null when
 * any of that does not hold, and buildFeatures takes the batch. Like the
 * column-major fast path it looks at no value: the model's check output
 * reports NaN and ±Infinity, and an integer input fed from a float column is
 * left to buildFeatures (a NaN would become 0 unseen).
 */
export function sharedFeatures(batch: RecordBatch, features: Record<string, string[]>, inputs: InputSpec[], columnMajor: ReadonlySet<string>): Record<string, SharedFeed> | null {
  const out: Record<string, SharedFeed> = {};
  const rows = batch.numRows;
  for (const spec of inputs) {
    if (!columnMajor.has(spec.name) || !SHARED_ELEM.has(spec.elemType)) return null;
    const float = isFloatElem(spec.elemType);
    const columns: ArrayBufferView[] = [];
    for (const c of features[spec.name]) {
      const vec = childOf(batch, c);
      if (!vec || vec.nullCount !== 0) return null;
      const plain = plainNumbers(vec) as (ArrayLike<number> & ArrayBufferView) | null;
      if (!plain || plain.length !== rows || !(plain.buffer instanceof SharedArrayBuffer)) return null;
      if (!float && (plain instanceof Float32Array || plain instanceof Float64Array)) return null;
      columns.push(plain);
    }
    out[spec.name] = { type: spec.elemType, rows, columns };
  }
  return out;
}

/** Input element types the inference thread builds from shared columns. */
const SHARED_ELEM = new Set(['float32', 'float64', 'int32', 'int16', 'int8', 'uint8', 'uint16', 'uint32']);

function isFloatElem(elemType: string): boolean {
  return elemType === 'float32' || elemType === 'float64';
}

/**
 * Column-major copy into `out` laid out `[k, rows]`: a plain column is one
 * TypedArray.set (a memcpy when the types match, a native conversion
 * otherwise). No NaN scan: for a floating input the model's check output
 * reports NaN and ±Infinity (src/onnx/column-major.ts). False when a floating
 * column feeds an integer input, where a NaN would become 0 unseen.
 */
function copyColumnMajor(srcs: Array<{ values: ArrayLike<number>; width: number }>, out: Dst, rows: number, floatInput: boolean): boolean {
  let offset = 0;
  for (const src of srcs) {
    const v = src.values;
    if (!floatInput && (v instanceof Float32Array || v instanceof Float64Array)) return false;
    if (src.width === 1) out.set(v as Float32Array, offset * rows);
    else {
      for (let j = 0; j < src.width; j++) {
        const base = (offset + j) * rows;
        for (let r = 0, q = j; r < rows; r++, q += src.width) out[base + r] = v[q];
      }
    }
    offset += src.width;
  }
  return true;
}

export interface FeatureBatch {
  /** per model input: the tensor data and dims */
  tensors: Map<string, { type: string; data: NumArray | string[]; dims: number[] }>;
  /** rows kept (all rows unless nulls: skip dropped some) */
  keep: Uint32Array | null;
  rows: number;
  skipped: number;
  /**
   * false when the fast column-major path copied floating values without
   * looking at them; the model's check output then stands in for the NaN scan
   */
  valuesSeen: boolean;
}

/**
 * Finds rows with null, NaN, ±Inf (or, in a column feeding a float32 input
 * (`f32cols`), a value beyond float32's range) in any feature column. Returns
 * the indices of rows to keep (null when all rows are kept) after applying the policy.
 */
function applyNullPolicy(batch: RecordBatch, columns: string[], f32cols: Set<string>, policy: NullPolicy, file: string, rowBase: number): Uint32Array | null {
  const n = batch.numRows;
  let bad: Uint8Array | null = null;
  for (const col of columns) {
    const vec = childOf(batch, col)!;
    const plain = plainNumbers(vec);
    const isFloat = vec.type.typeId === Type.Float;
    const list = fixedListInfo(vec.type);
    const listVals = list ? (vec.data[0].children[0].values as ArrayLike<number>) : null;
    const nulls = vec.nullCount;
    const f32 = f32cols.has(col);
    if (nulls === 0 && !(isFloat && plain) && !listVals) continue;
    // the first non-finite value of row i, or null
    const badValue = (i: number): number | null => {
      if (plain !== null && isFloat) return isNonFinite(plain[i], f32) ? plain[i] : null;
      if (listVals && list) {
        for (let j = 0; j < list.size; j++) {
          const x = Number(listVals[i * list.size + j]);
          if (isNonFinite(x, f32)) return x;
        }
      }
      return null;
    };
    for (let i = 0; i < n; i++) {
      const isNull = nulls !== 0 && !vec.isValid(i);
      const value = isNull ? null : badValue(i);
      if (!isNull && value === null) continue;
      if (policy === 'error') {
        const what = value === null ? 'null' : describeValue(value, f32);
        throw new OrtqError('ORTQ_NULL_VALUE', `${file}: row ${rowBase + i} column "${col}" is ${what} (nulls: error; use nulls: skip or nulls: {fill: 0})`, {
          file, row: rowBase + i, column: col,
        });
      }
      if (policy === 'skip') {
        bad ??= new Uint8Array(n);
        bad[i] = 1;
      }
    }
  }
  if (!bad) return null;
  const keep: number[] = [];
  for (let i = 0; i < n; i++) if (!bad[i]) keep.push(i);
  return Uint32Array.from(keep);
}

function numberAt(vec: Vector, plain: ArrayLike<number> | null, i: number, fill: number | null, f32 = false): number {
  if (!isValid(vec, i)) return fill ?? NaN;
  const v = plain ? plain[i] : vec.get(i);
  const num = typeof v === 'bigint' ? Number(v) : typeof v === 'boolean' ? (v ? 1 : 0) : Number(v);
  if (fill !== null && isNonFinite(num, f32)) return fill;
  return num;
}

/** An int64 value exactly (no detour through a double, which ends exactness at 2^53). */
function bigintAt(vec: Vector, plain: ArrayLike<number> | null, i: number, fill: number | null): bigint {
  if (isValid(vec, i)) {
    const v: unknown = vec.get(i);
    if (typeof v === 'bigint') return v;
  }
  return BigInt(Math.trunc(numberAt(vec, plain, i, fill)));
}

/**
 * Turns the feature columns of one record batch into onnxruntime tensor data,
 * converting any Arrow numeric type to the input's element type. Tensors never
 * share the batch's buffers: they are transferred to the inference thread, and
 * a view of the reader's buffer would clone the whole record batch there.
 */
export function buildFeatures(opts: {
  batch: RecordBatch;
  features: Record<string, string[]>;
  inputs: InputSpec[];
  nulls: NullPolicy;
  file: string;
  rowBase: number;
  /** pooled tensor buffers (give them back when onnxruntime is done) */
  scratch?: FeatureScratch;
  /** inputs the model takes column-major, `[k, N]` (InferenceThread's `columnMajor`) */
  columnMajor?: ReadonlySet<string>;
  /**
   * skip the fast path: the model reported a NaN or ±Infinity in a batch the
   * fast path built without looking, so the null policy must see the values
   */
  careful?: boolean;
}): FeatureBatch {
  const fast = opts.careful ? null : fastFeatures(opts.batch, opts.features, opts.inputs, opts.scratch, opts.columnMajor);
  if (fast) return fast;
  const { batch, nulls } = opts;
  const allCols = [...new Set(Object.values(opts.features).flat())];
  const f32cols = new Set(opts.inputs.filter((i) => i.elemType === 'float32').flatMap((i) => opts.features[i.name] ?? []));
  const keep = applyNullPolicy(batch, allCols, f32cols, nulls, opts.file, opts.rowBase);
  const rows = keep ? keep.length : batch.numRows;
  const fill = typeof nulls === 'object' ? nulls.fill : null;
  const tensors: FeatureBatch['tensors'] = new Map();
  for (const spec of opts.inputs) {
    const cols = opts.features[spec.name].map((c) => childOf(batch, c)!);
    const rank = spec.shape.length;
    if (spec.elemType === 'string') {
      const k = cols.length;
      const data: string[] = new Array(rows * k);
      for (let r = 0; r < rows; r++) {
        const i = keep ? keep[r] : r;
        for (let j = 0; j < k; j++) {
          const v = cols[j].get(i);
          data[r * k + j] = v === null || v === undefined ? '' : String(v);
        }
      }
      tensors.set(spec.name, { type: 'string', data, dims: rank <= 1 ? [rows] : [rows, k] });
      continue;
    }
    // widths: a FixedSizeList column contributes listSize values per row
    const widths = cols.map((v) => fixedListInfo(v.type)?.size ?? 1);
    const k = widths.reduce((a, b) => a + b, 0);
    // column-major inputs are laid out [k, rows]: element (r, c) at r * rs + c * cs
    const cm = opts.columnMajor?.has(spec.name) === true;
    const dims = cm ? [k, rows] : rank <= 1 ? [rows] : [rows, k];
    const rs = cm ? 1 : k;
    const cs = cm ? rows : 1;
    const out = allocate(spec.elemType, rows * k);
    const big = out instanceof BigInt64Array || out instanceof BigUint64Array;
    const f32 = spec.elemType === 'float32';
    let offset = 0;
    for (let c = 0; c < cols.length; c++) {
      const vec = cols[c];
      const w = widths[c];
      if (w > 1 || vec.type.typeId === Type.FixedSizeList) {
        const childVals = vec.data[0].children[0].values as ArrayLike<number | bigint>;
        for (let r = 0; r < rows; r++) {
          const i = keep ? keep[r] : r;
          const valid = isValid(vec, i);
          for (let j = 0; j < w; j++) {
            let v = valid ? Number(childVals[i * w + j]) : (fill ?? NaN);
            if (fill !== null && isNonFinite(v, f32)) v = fill;
            (out as Float32Array)[r * rs + (offset + j) * cs] = v;
          }
        }
      } else {
        const plain = plainNumbers(vec);
        const clean = plain !== null && vec.nullCount === 0 && (fill === null || vec.type.typeId !== Type.Float);
        if (big) {
          for (let r = 0; r < rows; r++) {
            const i = keep ? keep[r] : r;
            (out as BigInt64Array)[r * rs + offset * cs] = bigintAt(vec, plain, i, fill);
          }
        } else if (clean && !keep) {
          const dst = out as Float32Array;
          for (let r = 0, p = offset * cs; r < rows; r++, p += rs) dst[p] = plain[r];
        } else {
          const dst = out as Float32Array;
          for (let r = 0; r < rows; r++) {
            const i = keep ? keep[r] : r;
            dst[r * rs + offset * cs] = numberAt(vec, plain, i, fill, f32);
          }
        }
      }
      offset += w;
    }
    tensors.set(spec.name, { type: spec.elemType, data: out, dims });
  }
  return { tensors, keep, rows, skipped: batch.numRows - rows, valuesSeen: true };
}
