/**
 * Streaming histograms of a prediction run over a reference profile's bins.
 * Each shard counts its batches into a DriftAccumulator and hands back a
 * HistogramSet (plain JSON, small); finalize merges the shards' sets.
 */
import type { RecordBatch } from 'apache-arrow';
import { OrtqError } from '../errors.js';
import { childOf } from '../io/record-batch.js';
import { NumericBinner } from './binner.js';
import { argmax, argmaxColumns, arrowChunks, outputColumns, scoreLabels, type ColumnChunk, type TensorData } from './columns.js';
import { CategorySlots, countCategoricalChunk, countNumericChunk } from './counting.js';
import type { ColumnProfile, ReferenceProfile } from './profile.js';
import { MAX_ARGMAX_CLASSES, packColumns, simdBins, type KernelEdges, type PackedColumns } from './simd-bins.js';

export const HISTOGRAMS_SCHEMA = 1;

/** Counts per column in the profile's bins, the null slot last (see profile.distribution). */
export interface HistogramSet {
  schema: typeof HISTOGRAMS_SCHEMA;
  /** digest ("sha256:<hex>") of the profile.json whose bins these are */
  profile: string;
  /** input rows counted (every row read, including rows a null policy skipped) */
  rows: number;
  /** output rows counted (rows scored) */
  outputRows: number;
  features: Record<string, number[]>;
  outputs: Record<string, number[]>;
}

interface ColumnCounter {
  counts: Float64Array;
  /** numeric columns only */
  binner?: NumericBinner;
  /** categorical columns only */
  slots?: CategorySlots;
  add(chunk: ColumnChunk): void;
}

function counterFor(p: ColumnProfile): ColumnCounter {
  if (p.kind === 'numeric') {
    const binner = new NumericBinner(p.edges);
    const counts = new Float64Array(binner.bins + 1);
    return { counts, binner, add: (chunk) => countNumericChunk(binner, chunk, counts) };
  }
  const slots = new CategorySlots(p.categories);
  const counts = new Float64Array(slots.other + 2);
  return { counts, slots, add: (chunk) => countCategoricalChunk(slots, chunk, counts) };
}

/** See DriftAccumulator.scoreColumns. */
interface ScoreColumns {
  names: string[];
  packed: { columns: PackedColumns; counters: ColumnCounter[]; packed: ReadonlySet<number>; out: Float64Array } | null;
}

function countersFor(cols: Record<string, ColumnProfile>): Map<string, ColumnCounter> {
  return new Map(Object.entries(cols).map(([name, p]) => [name, counterFor(p)]));
}

function plain(counters: Map<string, ColumnCounter>): Record<string, number[]> {
  return Object.fromEntries([...counters].map(([name, c]) => [name, Array.from(c.counts)]));
}

/**
 * Counts a run's input columns and model outputs into the profile's bins, in
 * the same pass that scores them. Bins are built once; each batch costs one
 * tight loop per column (see NumericBinner).
 */
export class DriftAccumulator {
  private readonly features: Map<string, ColumnCounter>;
  private readonly outputs: Map<string, ColumnCounter>;
  private rows = 0;
  private outputRows = 0;
  private readonly scoreColumnsCache = new Map<string, ScoreColumns>();

  /**
   * @param profileDigest "sha256:<hex>" of the stored profile.json, recorded so that only histograms of one profile are merged
   * @param labels class labels per model output (manifest.classLabels), naming score columns as the profile does
   */
  constructor(profile: ReferenceProfile, private readonly profileDigest: string, private readonly labels: Record<string, ArrayLike<string | number>> = {}) {
    this.features = countersFor(profile.features);
    this.outputs = countersFor(profile.outputs);
  }

  /** digest of the profile whose bins these are */
  get profile(): string {
    return this.profileDigest;
  }

  /** The inner edges of a profiled input column binned as numbers, or null (not profiled, or binned as categories). */
  featureEdges(name: string): Float64Array | null {
    return this.features.get(name)?.binner?.edges ?? null;
  }

  /**
   * Counts the profiled columns of an input batch; columns the batch lacks
   * are left as they are, and so are the columns in `except` (counted
   * elsewhere: addFeatureCounts).
   */
  addBatch(batch: RecordBatch, except?: ReadonlySet<string>): void {
    for (const [name, counter] of this.features) {
      if (except?.has(name)) continue;
      const vec = childOf(batch, name);
      if (vec) for (const chunk of arrowChunks(vec)) counter.add(chunk);
    }
    this.rows += batch.numRows;
  }

  /**
   * Adds counts of an input column counted elsewhere against this column's
   * edges (src/monitor/feed-counts.ts, on the inference thread): the bins,
   * then the null slot. Rows are counted by addBatch.
   */
  addFeatureCounts(name: string, counts: ArrayLike<number>): void {
    const c = this.features.get(name);
    if (!c || c.counts.length !== counts.length) {
      throw new OrtqError('ORTQ_INTERNAL', `drift counts for input column ${name}: ${counts.length} bins, the profile has ${c ? c.counts.length : 'no such column'}`, { column: name });
    }
    for (let i = 0; i < counts.length; i++) c.counts[i] += counts[i];
  }

  /** Counts input columns given as chunks (typed-array buffers), `rows` rows each. */
  addColumns(columns: Record<string, ColumnChunk[]>, rows: number): void {
    for (const [name, chunks] of Object.entries(columns)) {
      const counter = this.features.get(name);
      if (counter) for (const chunk of chunks) counter.add(chunk);
    }
    this.rows += rows;
  }

  /**
   * Counts model outputs of `rows` scored rows (tensors as onnxruntime returns
   * them; the outputs named in `transposed` as `[k, rows]`, see
   * src/onnx/column-major.ts).
   */
  addOutputs(outputs: Record<string, TensorData>, rows: number, transposed?: ReadonlySet<string>): void {
    for (const [name, given] of Object.entries(outputs)) {
      let tensor = given;
      if (transposed?.has(name)) {
        if (this.countTransposed(name, tensor, rows)) continue;
        tensor = rowMajor(tensor, rows);
      }
      if (!this.countScoreMatrix(name, tensor, rows)) {
        for (const col of outputColumns(name, tensor, rows, this.labels[name])) this.outputs.get(col.key)?.add(col.chunk);
      }
    }
    this.outputRows += rows;
  }

  /**
   * A transposed `[k, rows]` float output: each score column is contiguous
   * (counted as an input column is), then the argmax classes. False (nothing
   * counted) for one column (the same as `[rows, 1]`) or other element types,
   * which the row-major paths count.
   */
  private countTransposed(name: string, tensor: TensorData, rows: number): boolean {
    const values = tensor.data;
    if (!(values instanceof Float32Array || values instanceof Float64Array) || rows === 0) return false;
    const k = Math.round(values.length / rows);
    if (k <= 1 || values.length !== rows * k) return false;
    const { names, packed } = this.scoreColumns(name, k);
    const kernel = simdBins();
    // copied into the kernel's memory once (the native kernel reads them where they are), then every column and the argmax counted there
    const data = kernel ? kernel.stage(values, rows * k) : values;
    // the native kernel: the numeric score columns in one call
    const inOneCall = packed !== null && kernel !== null && kernel.countColumns(data, rows, packed.columns, packed.out.fill(0));
    if (inOneCall) {
      let at = 0;
      for (const c of packed.counters) {
        for (let i = 0; i < c.counts.length; i++) c.counts[i] += packed.out[at + i];
        at += c.counts.length;
      }
    }
    for (let j = 0; j < k; j++) {
      if (inOneCall && packed.packed.has(j)) continue;
      this.outputs.get(`${name}_${names[j]}`)?.add({ kind: 'numbers', values: data.subarray(j * rows, (j + 1) * rows), length: rows, stride: 1, offset: 0, validity: null });
    }
    const classCounter = this.outputs.get(`${name}:class`);
    if (classCounter?.slots && kernel && k <= MAX_ARGMAX_CLASSES) {
      const classes = new Float64Array(k);
      kernel.countClassesOfColumns(data, rows, k, classes);
      for (let j = 0; j < k; j++) if (classes[j] > 0) classCounter.counts[classCounter.slots.slotOf(names[j])] += classes[j];
    } else {
      classCounter?.add({ kind: 'codes', codes: argmaxColumns(data, rows, k), length: rows, labels: names, validity: null });
    }
    return true;
  }

  /**
   * An output's k score column names and, for countColumns, its score columns
   * binned as numbers with at most MAX_SIMD_EDGES edges (null: none), made
   * once per output and width.
   */
  private scoreColumns(name: string, k: number): ScoreColumns {
    const key = `${name}\0${k}`;
    let sc = this.scoreColumnsCache.get(key);
    if (!sc) {
      const names = scoreLabels(k, this.labels[name]);
      const cols: Array<{ index: number; counter: ColumnCounter; edges: KernelEdges }> = [];
      for (let j = 0; j < k; j++) {
        const counter = this.outputs.get(`${name}_${names[j]}`);
        if (counter?.binner?.simd) cols.push({ index: j, counter, edges: counter.binner.simd });
      }
      sc = {
        names,
        packed: cols.length === 0 ? null : {
          columns: packColumns(cols),
          counters: cols.map((c) => c.counter),
          packed: new Set(cols.map((c) => c.index)),
          out: new Float64Array(cols.reduce((n, c) => n + c.counter.counts.length, 0)),
        },
      };
      this.scoreColumnsCache.set(key, sc);
    }
    return sc;
  }

  /**
   * A [rows, k] float output counted by the SIMD kernel in one pass over the
   * matrix as it is: the score columns side by side in the vector lanes, then
   * the argmax classes. Returns false (nothing counted) when the kernel does
   * not apply, and the per-column path counts it.
   */
  private countScoreMatrix(name: string, tensor: TensorData, rows: number): boolean {
    const values = tensor.data;
    if (!(values instanceof Float32Array || values instanceof Float64Array) || rows === 0) return false;
    const k = Math.round(values.length / rows);
    const kernel = k > 1 && k <= MAX_ARGMAX_CLASSES && values.length === rows * k ? simdBins() : null;
    if (!kernel) return false;
    const names = scoreLabels(k, this.labels[name]);
    const edges: Array<KernelEdges | null> = new Array(k).fill(null);
    const counts: Array<Float64Array | null> = new Array(k).fill(null);
    const rest: number[] = [];
    for (let j = 0; j < k; j++) {
      const counter = this.outputs.get(`${name}_${names[j]}`);
      if (!counter) continue;
      if (counter.binner?.simd) {
        edges[j] = counter.binner.simd;
        counts[j] = counter.counts;
      } else {
        rest.push(j);
      }
    }
    const classCounter = this.outputs.get(`${name}:class`);
    const classes = classCounter?.slots ? new Float64Array(k) : undefined;
    kernel.countMatrix(values, rows, k, edges, counts, classes);
    if (classes && classCounter?.slots) {
      for (let j = 0; j < k; j++) if (classes[j] > 0) classCounter.counts[classCounter.slots.slotOf(names[j])] += classes[j];
    }
    if (classCounter && !classCounter.slots) {
      classCounter.add({ kind: 'codes', codes: argmax(values, rows, k), length: rows, labels: names, validity: null });
    }
    // score columns a profile bins as categories, or with more edges than the kernel takes
    for (const j of rest) {
      this.outputs.get(`${name}_${names[j]}`)!.add({ kind: 'numbers', values, length: rows, stride: k, offset: j, validity: null });
    }
    return true;
  }

  result(): HistogramSet {
    return {
      schema: HISTOGRAMS_SCHEMA,
      profile: this.profileDigest,
      rows: this.rows,
      outputRows: this.outputRows,
      features: plain(this.features),
      outputs: plain(this.outputs),
    };
  }
}

/** A transposed `[k, rows]` output as `[rows, k]`, in a fresh array (k = 1: as it is). */
function rowMajor(t: TensorData, rows: number): TensorData {
  const src = t.data;
  const k = rows === 0 ? 1 : Math.round(src.length / rows);
  if (k <= 1) return t;
  const out: { [i: number]: unknown; length: number } = ArrayBuffer.isView(src)
    ? new (src.constructor as new (n: number) => { [i: number]: unknown; length: number })(src.length)
    : new Array<unknown>(src.length);
  for (let j = 0; j < k; j++) for (let r = 0; r < rows; r++) out[r * k + j] = src[j * rows + r];
  return { ...t, data: out as ArrayLike<unknown>, dims: [rows, k] };
}

function addInto(target: Record<string, number[]>, source: Record<string, number[]>, section: string): void {
  for (const [name, counts] of Object.entries(source)) {
    const t = target[name];
    if (!t) { target[name] = [...counts]; continue; }
    if (t.length !== counts.length) {
      throw new OrtqError('ORTQ_PROFILE_INVALID', `cannot merge histograms: ${section}.${name} has ${t.length} and ${counts.length} bins`, { column: name });
    }
    for (let i = 0; i < counts.length; i++) t[i] += counts[i];
  }
}

/**
 * Merges shard histograms (counted separately) into one: counts add up bin by
 * bin. All sets must come from the same profile. null when there are none.
 */
export function mergeHistograms(sets: HistogramSet[]): HistogramSet | null {
  if (sets.length === 0) return null;
  const digest = sets[0].profile;
  const merged: HistogramSet = { schema: HISTOGRAMS_SCHEMA, profile: digest, rows: 0, outputRows: 0, features: {}, outputs: {} };
  for (const s of sets) {
    if (s.profile !== digest) {
      throw new OrtqError('ORTQ_PROFILE_INVALID', `cannot merge histograms of two profiles (${digest} and ${s.profile}): the shards of one run must count into one profile`, { profiles: [digest, s.profile] });
    }
    merged.rows += s.rows;
    merged.outputRows += s.outputRows;
    addInto(merged.features, s.features, 'features');
    addInto(merged.outputs, s.outputs, 'outputs');
  }
  return merged;
}
