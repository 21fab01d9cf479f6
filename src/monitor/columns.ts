/**
 * Views of Arrow columns and onnxruntime output tensors as chunks that the
 * profile builder and the drift accumulator count from, without row objects:
 * plain typed arrays where the layout allows, an accessor otherwise.
 */
import { Type, type Data, type Vector } from 'apache-arrow';
import { halfToFloat } from '../predict/outputs.js';
import type { NumberArray } from './binner.js';

/** Validity of rows in Arrow layout: bit `bitOffset + r` of `bits`; null when every row is valid. */
export interface Validity { bits: Uint8Array; bitOffset: number }

export type ColumnChunk =
  /** numbers at values[offset + r·stride], r < length; NaN is null */
  | { kind: 'numbers'; values: NumberArray; length: number; stride: number; offset: number; validity: Validity | null }
  /** integer codes into `labels` (Arrow dictionaries, argmax classes) */
  | { kind: 'codes'; codes: NumberArray; length: number; labels: ArrayLike<unknown>; validity: Validity | null }
  /** anything else, read one value at a time (strings, booleans, 64-bit integers); null/undefined is null */
  | { kind: 'values'; length: number; get: (r: number) => unknown };

export type ColumnKind = 'numeric' | 'categorical';

/** A column's kind by its Arrow type; null when it is neither (lists, structs, …). */
export function arrowColumnKind(type: Vector['type']): ColumnKind | null {
  switch (type.typeId) {
    case Type.Int: case Type.Float: case Type.Bool: case Type.Decimal: return 'numeric';
    case Type.Utf8: case Type.LargeUtf8: case Type.Dictionary: return 'categorical';
    default: return null;
  }
}

function validityOf(d: Data): Validity | null {
  if (d.nullCount === 0 || !d.nullBitmap || d.nullBitmap.length === 0) return null;
  return { bits: d.nullBitmap, bitOffset: d.offset };
}

/**
 * The chunks of one Arrow column. Arrow JS slices value buffers eagerly, so
 * `values` starts at the chunk's first row; only the validity bitmap keeps
 * `Data.offset`.
 */
export function arrowChunks(vec: Vector): ColumnChunk[] {
  const out: ColumnChunk[] = [];
  let start = 0;
  for (const d of vec.data) {
    const t = d.type;
    const base = start;
    const isFloat = t.typeId === Type.Float && (t as unknown as { precision: number }).precision !== 0;
    const isSmallInt = t.typeId === Type.Int && (t as unknown as { bitWidth: number }).bitWidth <= 32;
    if ((isFloat || isSmallInt) && ArrayBuffer.isView(d.values)) {
      out.push({ kind: 'numbers', values: (d.values as NumberArray).subarray(0, d.length) as NumberArray, length: d.length, stride: 1, offset: 0, validity: validityOf(d) });
    } else if (t.typeId === Type.Dictionary && d.dictionary && ArrayBuffer.isView(d.values) && !(d.values instanceof BigInt64Array)) {
      out.push({ kind: 'codes', codes: (d.values as NumberArray).subarray(0, d.length) as NumberArray, length: d.length, labels: d.dictionary.toArray() as ArrayLike<unknown>, validity: validityOf(d) });
    } else {
      out.push({ kind: 'values', length: d.length, get: (r) => vec.get(base + r) });
    }
    start += d.length;
  }
  return out;
}

/** An onnxruntime output as plain data (what the inference thread hands back). */
export interface TensorData { type: string; data: ArrayLike<unknown>; dims: readonly number[] }

/** One profiled column of a model output. */
export interface OutputColumn { key: string; kind: ColumnKind; chunk: ColumnChunk }

const FLOAT_TYPES = new Set(['float32', 'float64', 'float16']);

function asNumbers(t: TensorData): NumberArray | null {
  if (t.type === 'float16') return Float32Array.from(t.data as ArrayLike<number>, halfToFloat);
  if (t.data instanceof BigInt64Array || t.data instanceof BigUint64Array) return Float64Array.from(t.data, Number);
  if (ArrayBuffer.isView(t.data)) return t.data as unknown as NumberArray;
  return null;
}

/** Row-wise argmax of an [rows, k] score matrix (the first maximum wins; an all-NaN row gives 0). */
export function argmax(values: NumberArray, rows: number, k: number): Int32Array {
  const out = new Int32Array(rows);
  for (let r = 0, p = 0; r < rows; r++, p += k) {
    let best = 0;
    let bv = values[p];
    for (let j = 1; j < k; j++) {
      const v = values[p + j];
      if (v > bv || bv !== bv) { bv = v; best = j; }
    }
    out[r] = best;
  }
  return out;
}

/**
 * Row-wise argmax of a transposed `[k, rows]` score matrix (column j at
 * j·rows), with argmax's rules: the first maximum wins; a column replaces the
 * best when it is greater or the best so far is NaN.
 */
export function argmaxColumns(values: NumberArray, rows: number, k: number): Int32Array {
  const out = new Int32Array(rows);
  const best = values.slice(0, rows);
  for (let j = 1; j < k; j++) {
    for (let r = 0, p = j * rows; r < rows; r++, p++) {
      const v = values[p];
      const bv = best[r];
      if (v > bv || bv !== bv) { best[r] = v; out[r] = j; }
    }
  }
  return out;
}

/** The label of each of an output's k score columns: the class labels when there are k of them, else the column index. */
export function scoreLabels(k: number, labels?: ArrayLike<string | number>): string[] {
  return Array.from({ length: k }, (_, j) => (labels && labels.length === k ? String(labels[j]) : String(j)));
}

/**
 * The profiled columns of one model output, keyed as the output files name
 * them: `<name>` for one value per row; `<name>_<label>` (or `_<index>`) per
 * score column of an [rows, k] output plus `<name>:class`, the argmax class.
 * Non-float outputs of one value per row (labels) are categorical.
 */
export function outputColumns(name: string, tensor: TensorData, rows: number, labels?: ArrayLike<string | number>): OutputColumn[] {
  const k = rows === 0 ? 1 : Math.max(1, Math.round(tensor.data.length / rows));
  const isFloat = FLOAT_TYPES.has(tensor.type);
  if (k === 1) {
    if (isFloat) {
      const values = asNumbers(tensor)!;
      return [{ key: name, kind: 'numeric', chunk: { kind: 'numbers', values, length: rows, stride: 1, offset: 0, validity: null } }];
    }
    const data = tensor.data;
    return [{ key: name, kind: 'categorical', chunk: { kind: 'values', length: rows, get: (r) => data[r] } }];
  }
  const values = asNumbers(tensor);
  if (!values) return [];
  const names = scoreLabels(k, labels);
  const cols: OutputColumn[] = names.map((label, j) => ({
    key: `${name}_${label}`, kind: 'numeric', chunk: { kind: 'numbers', values, length: rows, stride: k, offset: j, validity: null },
  }));
  cols.push({ key: `${name}:class`, kind: 'categorical', chunk: { kind: 'codes', codes: argmax(values, rows, k), length: rows, labels: names, validity: null } });
  return cols;
}
