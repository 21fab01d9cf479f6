import { Type, type Field, type Schema } from 'apache-arrow';
import { OrtqError } from '../../errors.js';
import type { InputFile } from '../../io/discover.js';
import { inspectInput } from '../../io/inspect.js';
import { readBatches } from '../../io/read.js';
import { Float64Column, isNumericVector, toFloat64 } from './columns.js';
import type { InputFingerprint } from './types.js';

/** Label values as read: numbers, or strings coded by first appearance. */
export type RawLabels =
  | { kind: 'number'; values: Float64Array }
  | { kind: 'string'; codes: Int32Array; dict: string[] };

/** One side (train or eval) as columns: never row objects. */
export interface RawData {
  rows: number;
  /** feature columns, in the order the model input concatenates them */
  features: Float64Array[];
  labels: RawLabels;
  /** slice columns as strings (the value a slice is named by) */
  slices: Record<string, string[]>;
  files: Array<{ path: string; rows: number; rowsDropped: number }>;
  /** the Arrow type of each column, to compare train with eval */
  types: Record<string, string>;
}

function dataError(message: string, details: Record<string, unknown>): OrtqError {
  return new OrtqError('ORTQ_TRAIN_DATA_INVALID', message, details);
}

function typeKind(f: Field): string {
  const id = f.type.typeId;
  if (id === Type.Int || id === Type.Float || id === Type.Bool) return 'numeric';
  if (id === Type.Utf8 || id === Type.LargeUtf8 || id === Type.Dictionary) return 'string';
  return String(f.type);
}

/** Checks one file's columns before any row is read. */
function checkSchema(schema: Schema, file: string, want: { features: string[]; label: string; slices: string[] }, side: string): Record<string, string> {
  const fields = new Map(schema.fields.map((f) => [f.name, f]));
  const has = schema.fields.map((f) => f.name).join(', ');
  const label = fields.get(want.label);
  if (!label) throw dataError(`${file}: the label column "${want.label}" is missing (${side} data has ${has})`, { file, column: want.label });
  const types: Record<string, string> = { [want.label]: typeKind(label) };
  for (const c of want.features) {
    const f = fields.get(c);
    if (!f) throw dataError(`${file}: feature column "${c}" is missing from the ${side} data (it has ${has})`, { file, column: c });
    if (typeKind(f) !== 'numeric') throw dataError(`${file}: feature column "${c}" is ${String(f.type)}; training needs numeric features`, { file, column: c });
    types[c] = 'numeric';
  }
  for (const c of want.slices) {
    const f = fields.get(c);
    if (!f) throw dataError(`${file}: slice column "${c}" is missing from the ${side} data (it has ${has})`, { file, column: c });
    types[c] = typeKind(f);
  }
  return types;
}

/**
 * Reads the feature, label and slice columns of every file of one side into
 * typed arrays. Nulls: a null label is always an error naming file, row and
 * column; a null or NaN feature is one under `nulls: error`, and drops the
 * row under `nulls: skip`.
 */
export async function readSide(inputs: InputFingerprint[], opts: {
  features: string[];
  label: string;
  slices: string[];
  nulls: 'error' | 'skip';
  batchSize: number;
  side: 'train' | 'eval';
}): Promise<RawData> {
  const feats = opts.features.map(() => new Float64Column());
  const numLabels = new Float64Column();
  const codeChunks: Int32Array[] = [];
  const dict = new Map<string, number>();
  const slices: Record<string, string[]> = Object.fromEntries(opts.slices.map((s) => [s, []]));
  const files: RawData['files'] = [];
  let labelKind: 'number' | 'string' | null = null;
  let types: Record<string, string> = {};
  let rows = 0;
  for (const input of inputs) {
    const file: InputFile = { path: input.path, format: input.format as InputFile['format'], size: input.size, mtimeMs: 0 };
    const layout = await inspectInput(file);
    const t = checkSchema(layout.schema, input.path, opts, opts.side);
    if (Object.keys(types).length && JSON.stringify(t) !== JSON.stringify(types)) {
      throw dataError(`${input.path}: column types differ from the other ${opts.side} files (${JSON.stringify(t)} vs ${JSON.stringify(types)})`, { file: input.path });
    }
    types = t;
    const kind = t[opts.label] === 'string' ? 'string' : t[opts.label] === 'numeric' ? 'number' : null;
    if (!kind) throw dataError(`${input.path}: label column "${opts.label}" has an unsupported type`, { file: input.path, column: opts.label });
    labelKind ??= kind;
    let fileRow = 0;
    let dropped = 0;
    const columns = [...new Set([...opts.features, opts.label, ...opts.slices])];
    for await (const batch of readBatches(file, { columns, batchSize: opts.batchSize })) {
      const n = batch.numRows;
      const fx = opts.features.map((c) => toFloat64(batch.getChild(c)!));
      const lv = batch.getChild(opts.label)!;
      let keep: Uint8Array | null = null;
      for (let i = 0; i < n; i++) {
        if (lv.nullCount !== 0 && !lv.isValid(i)) {
          throw dataError(`${input.path}: row ${fileRow + i} column "${opts.label}" is null (the label must be set on every row)`, { file: input.path, row: fileRow + i, column: opts.label });
        }
        for (let j = 0; j < fx.length; j++) {
          if (fx[j][i] === fx[j][i]) continue;
          if (opts.nulls === 'error') {
            throw new OrtqError('ORTQ_NULL_VALUE', `${input.path}: row ${fileRow + i} column "${opts.features[j]}" is null or NaN (nulls: error; use nulls: skip)`, { file: input.path, row: fileRow + i, column: opts.features[j] });
          }
          keep ??= new Uint8Array(n).fill(1);
          keep[i] = 0;
        }
      }
      const take = (i: number) => !keep || keep[i] === 1;
      const kept = keep ? keep.reduce((s, v) => s + v, 0) : n;
      const pick = (a: Float64Array) => (keep ? a.filter((_, i) => take(i)) : a);
      fx.forEach((a, j) => feats[j].push(pick(a)));
      if (labelKind === 'number') {
        if (!isNumericVector(lv)) throw dataError(`${input.path}: label column "${opts.label}" holds strings here and numbers elsewhere`, { file: input.path });
        numLabels.push(pick(toFloat64(lv)));
      } else {
        const codes = new Int32Array(kept);
        for (let i = 0, o = 0; i < n; i++) {
          if (!take(i)) continue;
          const v = String(lv.get(i));
          let c = dict.get(v);
          if (c === undefined) { c = dict.size; dict.set(v, c); }
          codes[o++] = c;
        }
        codeChunks.push(codes);
      }
      for (const s of opts.slices) {
        const vec = batch.getChild(s)!;
        for (let i = 0; i < n; i++) if (take(i)) slices[s].push(vec.isValid(i) ? String(vec.get(i)) : 'null');
      }
      dropped += n - kept;
      rows += kept;
      fileRow += n;
    }
    files.push({ path: input.path, rows: fileRow, rowsDropped: dropped });
  }
  let labels: RawLabels;
  if (labelKind === 'string') {
    const codes = new Int32Array(rows);
    let o = 0;
    for (const c of codeChunks) { codes.set(c, o); o += c.length; }
    labels = { kind: 'string', codes, dict: [...dict.keys()] };
  } else {
    labels = { kind: 'number', values: numLabels.finish() };
  }
  return { rows, features: feats.map((f) => f.finish()), labels, slices, files, types };
}
