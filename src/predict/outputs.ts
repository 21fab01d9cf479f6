import {
  Bool, FixedSizeList, Field, Utf8, makeData, makeVector, RecordBatch, Schema, Struct, vectorFromArray, type Vector,
} from 'apache-arrow';

/** An onnxruntime output as plain data (what Tensor exposes). */
export interface OutputTensor { type: string; data: ArrayLike<unknown>; dims: readonly number[] }

/** IEEE 754 half precision bits → number. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/** Element types whose typed arrays become Arrow columns as they are. */
const DIRECT = new Set(['float32', 'float64', 'int64', 'int32', 'int8', 'uint8']);

function columnFrom(elemType: string, values: ArrayLike<unknown>): Vector {
  if (elemType === 'string') return vectorFromArray(Array.from(values as ArrayLike<string>), new Utf8());
  if (elemType === 'bool') return vectorFromArray(Array.from(values as ArrayLike<number>, (v) => v !== 0), new Bool());
  // onnxruntime hands float16 over as its raw bits
  if (elemType === 'float16') return makeVector(Float32Array.from(values as ArrayLike<number>, halfToFloat));
  // uint16/32/64 and anything else without a direct column type become float64
  if (!DIRECT.has(elemType) || !ArrayBuffer.isView(values)) {
    return makeVector(Float64Array.from(values as ArrayLike<number>));
  }
  return makeVector(values as Float32Array);
}

function strided(values: ArrayLike<unknown>, rows: number, k: number, j: number): ArrayLike<unknown> {
  const Ctor = (values as unknown as { constructor: new (n: number) => unknown[] }).constructor;
  const out = Array.isArray(values) ? new Array(rows) : new Ctor(rows);
  for (let r = 0, p = j; r < rows; r++, p += k) (out as unknown[])[r] = (values as unknown[])[p];
  return out;
}

/**
 * Turns model outputs into named columns: shape [N] or [N,1] → one column;
 * [N,K] → K columns `<name>_<i>`, or `<name>_<label>` when class labels are
 * known, or one FixedSizeList column with `as: list`.
 */
export function outputColumns(opts: {
  name: string;
  tensor: OutputTensor;
  rows: number;
  labels?: Array<string | number>;
  as?: 'columns' | 'list';
  rename?: string;
  /**
   * the tensor is the output transposed, `[k, N]` (src/onnx/column-major.ts):
   * its columns become Arrow columns as views, without a copy
   */
  transposed?: boolean;
}): Array<[string, Vector]> {
  if (opts.transposed) {
    const { tensor, rows } = opts;
    const k = tensor.dims[0] ?? 1;
    if (opts.as === 'list' && ArrayBuffer.isView(tensor.data)) return outputColumns({ ...opts, tensor: rowMajor(tensor), transposed: false });
    if (opts.as !== 'list' && ArrayBuffer.isView(tensor.data) && DIRECT.has(tensor.type)) {
      const base = opts.rename ?? opts.name;
      const data = tensor.data as unknown as Float32Array;
      if (k === 1) return [[base, makeVector(data)]];
      return Array.from({ length: k }, (_, j): [string, Vector] => {
        const label = opts.labels && opts.labels.length === k ? String(opts.labels[j]) : String(j);
        return [`${base}_${label}`, makeVector(data.subarray(j * rows, (j + 1) * rows))];
      });
    }
    return outputColumns({ ...opts, tensor: rowMajor(tensor), transposed: false });
  }
  const { tensor, rows } = opts;
  const base = opts.rename ?? opts.name;
  const k = rows === 0 ? (tensor.dims.slice(1).reduce((a, b) => a * b, 1) || 1) : tensor.data.length / rows;
  if (k === 1 && opts.as !== 'list') return [[base, columnFrom(tensor.type, tensor.data)]];
  if (opts.as === 'list') {
    const child = columnFrom(tensor.type, tensor.data);
    const type = new FixedSizeList(k, new Field('item', child.type, false));
    const data = makeData({ type, length: rows, nullCount: 0, child: child.data[0] });
    return [[base, makeVector(data)]];
  }
  const cols: Array<[string, Vector]> = [];
  for (let j = 0; j < k; j++) {
    const label = opts.labels && opts.labels.length === k ? String(opts.labels[j]) : String(j);
    cols.push([`${base}_${label}`, columnFrom(tensor.type, strided(tensor.data, rows, k, j))]);
  }
  return cols;
}

/** A `[k, N]` (transposed) output as the model's own `[N, k]`: the values interleaved back, in a fresh array. */
export function rowMajor(tensor: OutputTensor): OutputTensor {
  const [k, rows] = tensor.dims.length === 2 ? tensor.dims : [1, tensor.data.length];
  const src = tensor.data as unknown as Float32Array;
  const Ctor = (Array.isArray(src) ? Array : src.constructor) as new (n: number) => Float32Array;
  const out = new Ctor(src.length);
  for (let j = 0; j < k; j++) for (let r = 0, p = j; r < rows; r++, p += k) out[p] = src[j * rows + r];
  return { type: tensor.type, data: out, dims: [rows, k] };
}

/** Builds a record batch from named columns, in order. */
export function batchFromColumns(columns: Array<[string, Vector]>, rows: number): RecordBatch {
  const fields = columns.map(([name, vec]) => new Field(name, vec.type, true));
  const schema = new Schema(fields);
  const data = makeData({
    type: new Struct(fields),
    length: rows,
    nullCount: 0,
    children: columns.map(([, vec]) => vec.data[0]),
  });
  return new RecordBatch(schema, data);
}
