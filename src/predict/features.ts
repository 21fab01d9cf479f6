import { Type, type DataType, type RecordBatch, type Schema, type Vector } from 'apache-arrow';
import { OrtqError } from '../errors.js';
import type { NullPolicy } from './types.js';

/** What a model input expects (from the repository manifest's signature). */
export interface InputSpec { name: string; elemType: string; shape: Array<number | string | null> }

const NUMERIC_ELEM = new Set(['float32', 'float64', 'int64', 'int32', 'int16', 'int8', 'uint8', 'uint16', 'uint32', 'uint64', 'bool', 'float16']);

function isNumericArrow(t: DataType): boolean {
  return t.typeId === Type.Int || t.typeId === Type.Float || t.typeId === Type.Bool || t.typeId === Type.Decimal;
}

function isStringArrow(t: DataType): boolean {
  if (t.typeId === Type.Utf8 || t.typeId === Type.LargeUtf8) return true;
  if (t.typeId === Type.Dictionary) return isStringArrow((t as unknown as { dictionary: DataType }).dictionary);
  return false;
}

function fixedListInfo(t: DataType): { size: number; numeric: boolean } | null {
  if (t.typeId !== Type.FixedSizeList) return null;
  const ft = t as unknown as { listSize: number; children: Array<{ type: DataType }> };
  return { size: ft.listSize, numeric: isNumericArrow(ft.children[0].type) };
}

/** Width the model input fixes for its second dimension, or null when free. */
function fixedWidth(spec: InputSpec): number | null {
  if (spec.shape.length < 2) return 1;
  const d = spec.shape[1];
  return typeof d === 'number' && d > 0 ? d : null;
}

/**
 * Checks the data's columns against every model input before anything is
 * computed. Lists what the model expects and what the data has.
 */
export function checkFeatureSchema(opts: {
  features: Record<string, string[]>;
  passthrough: string[];
  inputs: InputSpec[];
  schema: Schema;
  file: string;
}): void {
  const problems: string[] = [];
  const fields = new Map(opts.schema.fields.map((f) => [f.name, f]));
  const expect = opts.inputs.map((i) => `${i.name} ${i.elemType}[${i.shape.map((d) => d ?? 'N').join(',')}]`).join(', ');
  const has = opts.schema.fields.map((f) => `${f.name}:${String(f.type)}`).join(', ');
  for (const input of opts.inputs) {
    if (!opts.features[input.name]) problems.push(`model input "${input.name}" has no columns in features`);
  }
  for (const [name, cols] of Object.entries(opts.features)) {
    const spec = opts.inputs.find((i) => i.name === name);
    if (!spec) {
      problems.push(`features names "${name}", which is not a model input`);
      continue;
    }
    let width = 0;
    for (const col of cols) {
      const field = fields.get(col);
      if (!field) {
        problems.push(`column "${col}" (for input "${name}") is missing`);
        continue;
      }
      const list = fixedListInfo(field.type);
      if (spec.elemType === 'string') {
        if (!isStringArrow(field.type)) problems.push(`column "${col}" is ${field.type} but input "${name}" takes strings`);
        width += 1;
      } else if (!NUMERIC_ELEM.has(spec.elemType)) {
        problems.push(`input "${name}" has element type ${spec.elemType}, which ortq cannot feed`);
      } else if (list) {
        if (!list.numeric) problems.push(`column "${col}" is ${field.type} but input "${name}" takes ${spec.elemType}`);
        width += list.size;
      } else if (!isNumericArrow(field.type)) {
        problems.push(`column "${col}" is ${field.type} but input "${name}" takes ${spec.elemType}`);
      } else {
        width += 1;
      }
    }
    const fixed = fixedWidth(spec);
    if (fixed !== null && width !== fixed && !problems.length) {
      problems.push(`input "${name}" takes ${fixed} value(s) per row but ${width} column value(s) are mapped to it`);
    }
  }
  for (const col of opts.passthrough) if (!fields.has(col)) problems.push(`passthrough column "${col}" is missing`);
  if (problems.length) {
    throw new OrtqError('ORTQ_SCHEMA_MISMATCH', `${opts.file}: ${problems.join('; ')} (model expects ${expect}; data has ${has})`, {
      file: opts.file,
      problems,
    });
  }
}

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

export interface FeatureBatch {
  /** per model input: the tensor data and dims */
  tensors: Map<string, { type: string; data: NumArray | string[]; dims: number[] }>;
  /** rows kept (all rows unless nulls: skip dropped some) */
  keep: Uint32Array | null;
  rows: number;
  skipped: number;
}

/**
 * Finds rows with null or NaN in any feature column. Returns the indices of
 * rows to keep (null when all rows are kept) after applying the policy.
 */
function applyNullPolicy(batch: RecordBatch, columns: string[], policy: NullPolicy, file: string, rowBase: number): Uint32Array | null {
  const n = batch.numRows;
  let bad: Uint8Array | null = null;
  for (const col of columns) {
    const vec = batch.getChild(col)!;
    const plain = plainNumbers(vec);
    const isFloat = vec.type.typeId === Type.Float;
    if (vec.nullCount === 0 && !(isFloat && plain)) continue;
    if (vec.type.typeId === Type.FixedSizeList) {
      if (vec.nullCount === 0) continue;
    }
    for (let i = 0; i < n; i++) {
      const nullish = !isValid(vec, i) || (plain !== null && isFloat && Number.isNaN(plain[i]));
      if (!nullish) continue;
      if (policy === 'error') {
        throw new OrtqError('ORTQ_NULL_VALUE', `${file}: row ${rowBase + i} column "${col}" is ${isValid(vec, i) ? 'NaN' : 'null'} (nulls: error; use nulls: skip or nulls: {fill: 0})`, {
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

function numberAt(vec: Vector, plain: ArrayLike<number> | null, i: number, fill: number | null): number {
  if (!isValid(vec, i)) return fill ?? NaN;
  const v = plain ? plain[i] : vec.get(i);
  const num = typeof v === 'bigint' ? Number(v) : typeof v === 'boolean' ? (v ? 1 : 0) : Number(v);
  if (fill !== null && Number.isNaN(num)) return fill;
  return num;
}

/**
 * Turns the feature columns of one record batch into onnxruntime tensor data,
 * converting any Arrow numeric type to the input's element type. A single
 * plain column whose type already matches is used without copying.
 */
export function buildFeatures(opts: {
  batch: RecordBatch;
  features: Record<string, string[]>;
  inputs: InputSpec[];
  nulls: NullPolicy;
  file: string;
  rowBase: number;
}): FeatureBatch {
  const { batch, nulls } = opts;
  const allCols = [...new Set(Object.values(opts.features).flat())];
  const keep = nulls === 'error' || nulls === 'skip' || typeof nulls === 'object'
    ? applyNullPolicy(batch, allCols, nulls, opts.file, opts.rowBase)
    : null;
  const rows = keep ? keep.length : batch.numRows;
  const fill = typeof nulls === 'object' ? nulls.fill : null;
  const tensors: FeatureBatch['tensors'] = new Map();
  for (const spec of opts.inputs) {
    const cols = opts.features[spec.name].map((c) => batch.getChild(c)!);
    const rank = spec.shape.length;
    if (spec.elemType === 'string') {
      const vec = cols[0];
      const k = cols.length;
      const data: string[] = new Array(rows * k);
      for (let r = 0; r < rows; r++) {
        const i = keep ? keep[r] : r;
        for (let j = 0; j < k; j++) {
          const v = cols[j].get(i);
          data[r * k + j] = v === null || v === undefined ? '' : String(v);
        }
      }
      void vec;
      tensors.set(spec.name, { type: 'string', data, dims: rank <= 1 ? [rows] : [rows, k] });
      continue;
    }
    // widths: a FixedSizeList column contributes listSize values per row
    const widths = cols.map((v) => fixedListInfo(v.type)?.size ?? 1);
    const k = widths.reduce((a, b) => a + b, 0);
    const dims = rank <= 1 ? [rows] : [rows, k];
    // zero-copy: one plain column of the right type, nothing dropped, nothing to fill
    if (cols.length === 1 && widths[0] === 1 && !keep && fill === null) {
      const plain = plainNumbers(cols[0]);
      const sameType = (spec.elemType === 'float32' && plain instanceof Float32Array)
        || (spec.elemType === 'float64' && plain instanceof Float64Array)
        || (spec.elemType === 'int32' && plain instanceof Int32Array);
      if (sameType) {
        tensors.set(spec.name, { type: spec.elemType, data: plain as NumArray, dims });
        continue;
      }
    }
    const out = allocate(spec.elemType, rows * k);
    const big = out instanceof BigInt64Array || out instanceof BigUint64Array;
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
            if (fill !== null && Number.isNaN(v)) v = fill;
            (out as Float32Array)[r * k + offset + j] = v;
          }
        }
      } else {
        const plain = plainNumbers(vec);
        const clean = plain !== null && vec.nullCount === 0 && (fill === null || vec.type.typeId !== Type.Float);
        if (big) {
          for (let r = 0; r < rows; r++) {
            const i = keep ? keep[r] : r;
            (out as BigInt64Array)[r * k + offset] = BigInt(Math.trunc(numberAt(vec, plain, i, fill)));
          }
        } else if (clean && !keep) {
          const dst = out as Float32Array;
          for (let r = 0, p = offset; r < rows; r++, p += k) dst[p] = plain[r];
        } else {
          const dst = out as Float32Array;
          for (let r = 0; r < rows; r++) {
            const i = keep ? keep[r] : r;
            dst[r * k + offset] = numberAt(vec, plain, i, fill);
          }
        }
      }
      offset += w;
    }
    tensors.set(spec.name, { type: spec.elemType, data: out, dims });
  }
  return { tensors, keep, rows, skipped: batch.numRows - rows };
}
