import { seededRandom } from '../../../../onnx/builder.js';
import type { Task } from '../types.js';
import { binColumns, fitBinMapper, type BinMapper } from './binning.js';
import { TreeGrower } from './grower.js';
import { lossFor } from './loss.js';
import type { GbdtParams } from './params.js';
import { histogramSize } from './histogram.js';
import { HistogramThreads } from './parallel.js';
import { addBinned, addRaw, type Tree } from './tree.js';
import { Workspace } from './workspace.js';

/** Fewer training rows than this are not worth starting histogram threads for. */
export const PARALLEL_MIN_ROWS = 20_000;

/** A fitted ensemble: `trees[iteration * outputs + k]` adds to raw output k. */
export interface GbdtModel {
  task: Task;
  /** raw outputs per row: 1 (regression, binary) or the number of classes */
  outputs: number;
  baseline: Float64Array;
  trees: Tree[];
  iterations: number;
  mapper: BinMapper;
  /** training loss after the last round; validation losses per round (baseline first) with early stopping */
  trainLoss: number;
  validationLoss: number[];
}

export interface FitOptions {
  task: Task;
  /** number of classes (classification) */
  classes: number;
  params: GbdtParams;
  seed: number;
  /** threads for histograms (this one included); 1 or absent: this thread only */
  threads?: number;
  onProgress?: (fraction: number) => void;
}

/** Histogram gradient boosting (scikit-learn's `BaseHistGradientBoosting.fit`, without sample weights). */
export function fitGbdt(columns: Float64Array[], y: Float64Array, opts: FitOptions): GbdtModel {
  const { params: p, task } = opts;
  const loss = lossFor(task, opts.classes);
  const split = p.earlyStopping ? validationSplit(y, task, opts.classes, p.earlyStopping.validationFraction, opts.seed) : null;
  const rows = split ? split.train : null;
  const mapper = fitBinMapper(columns, rows, p.maxBins, opts.seed);
  const yt = rows ? gather(y, rows) : y;
  const n = yt.length;
  const K = loss.outputs;
  const parallel = (opts.threads ?? 1) > 1 && p.maxLeaves !== null && n >= PARALLEL_MIN_ROWS;
  const bins = binColumns(mapper, columns, rows);
  const stride = mapper.missingBin + 1;
  // at most maxLeaves + 1 histograms are held at once; no leaf bound: allocated as needed
  const slots = p.maxLeaves !== null ? p.maxLeaves + 2 : null;
  const ws = new Workspace(bins, n, K, !loss.constantHessian, slots, histogramSize(bins.length, stride, loss.constantHessian));
  const { g, h } = ws;
  const threads = parallel ? new HistogramThreads(ws, n, stride, opts.threads!) : null;
  try {
    return boost(columns, y, opts, loss, mapper, yt, g, h, new TreeGrower(bins, mapper, n, { ...p, constantHessian: loss.constantHessian }, ws, threads), split);
  } finally {
    threads?.close();
  }
}

function boost(columns: Float64Array[], y: Float64Array, opts: FitOptions, loss: ReturnType<typeof lossFor>, mapper: BinMapper,
  yt: Float64Array, g: Float32Array, h: Float32Array | null, grower: TreeGrower, split: { val: Uint32Array } | null): GbdtModel {
  const p = opts.params;
  const n = yt.length;
  const K = loss.outputs;
  const baseline = loss.baseline(yt, null);
  const raw = new Float64Array(n * K);
  for (let k = 0; k < K; k++) raw.fill(baseline[k], k * n, (k + 1) * n);

  const val = split ? validationState(columns, y, split.val, mapper, baseline, K) : null;
  const scores: number[] = [];
  if (val) scores.push(-loss.value(val.y, val.raw));
  const trees: Tree[] = [];
  let iterations = 0;
  for (let it = 0; it < p.maxIter; it++) {
    loss.gradients(yt, raw, g, h ?? g);
    for (let k = 0; k < K; k++) {
      const gk = g.subarray(k * n, (k + 1) * n);
      const hk = h ? h.subarray(k * n, (k + 1) * n) : null;
      const tree = grower.grow(gk, hk, raw, k * n);
      trees.push(tree);
      if (val) addBinned(tree, val.bins, mapper.missingBin, val.y.length, val.raw, k * val.y.length);
    }
    iterations++;
    opts.onProgress?.(iterations / p.maxIter);
    if (val && p.earlyStopping) {
      scores.push(-loss.value(val.y, val.raw));
      if (shouldStop(scores, p.earlyStopping.patience, p.earlyStopping.tol)) break;
    }
  }
  return {
    task: opts.task, outputs: K, baseline, trees, iterations, mapper,
    trainLoss: loss.value(yt, raw),
    validationLoss: scores.map((s) => -s),
  };
}

/** Raw outputs (class-major: `raw[k * n + i]`) of `model` for rows 0..n-1 of raw feature columns. */
export function predictRaw(model: GbdtModel, columns: Float64Array[], n: number): Float64Array {
  const K = model.outputs;
  const raw = new Float64Array(n * K);
  for (let k = 0; k < K; k++) raw.fill(model.baseline[k], k * n, (k + 1) * n);
  model.trees.forEach((t, i) => addRaw(t, columns, n, raw, (i % K) * n));
  return raw;
}

/** scikit-learn's `_should_stop`: none of the last `patience` scores beats the one before them by more than tol. */
export function shouldStop(scores: number[], patience: number, tol: number): boolean {
  if (scores.length < patience + 1) return false;
  const reference = scores[scores.length - patience - 1] + tol;
  for (let i = scores.length - patience; i < scores.length; i++) if (scores[i] > reference) return false;
  return true;
}

function gather(y: Float64Array, rows: Uint32Array): Float64Array {
  const out = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = y[rows[i]];
  return out;
}

function validationState(columns: Float64Array[], y: Float64Array, rows: Uint32Array, mapper: BinMapper, baseline: Float64Array, K: number) {
  const m = rows.length;
  const raw = new Float64Array(m * K);
  for (let k = 0; k < K; k++) raw.fill(baseline[k], k * m, (k + 1) * m);
  return { bins: binColumns(mapper, columns, rows), y: gather(y, rows), raw };
}

/**
 * Holds out ceil(fraction * n) rows, deterministic from `seed`; for
 * classification each class gives its proportional share (largest
 * remainders first), like a stratified `train_test_split`. Both parts keep
 * row order.
 */
export function validationSplit(y: Float64Array, task: Task, classes: number, fraction: number, seed: number): { train: Uint32Array; val: Uint32Array } {
  const n = y.length;
  const nVal = Math.min(n - 1, Math.max(1, Math.ceil(fraction * n)));
  const rnd = seededRandom(seed ^ 0x2545f491);
  const groups: number[][] = task === 'classification' ? Array.from({ length: classes }, () => []) : [[]];
  for (let i = 0; i < n; i++) groups[task === 'classification' ? y[i] : 0].push(i);
  const share = groups.map((gr) => (nVal * gr.length) / n);
  const take = share.map(Math.floor);
  let left = nVal - take.reduce((a, b) => a + b, 0);
  const order = share.map((s, c) => c).sort((a, b) => (share[b] % 1) - (share[a] % 1) || a - b);
  for (const c of order) if (left > 0 && take[c] < groups[c].length) { take[c]++; left--; }
  const isVal = new Uint8Array(n);
  groups.forEach((gr, c) => {
    for (let i = 0; i < take[c]; i++) {
      const j = i + Math.floor(rnd() * (gr.length - i));
      const t = gr[i]; gr[i] = gr[j]; gr[j] = t;
      isVal[gr[i]] = 1;
    }
  });
  const val = new Uint32Array(nVal);
  const train = new Uint32Array(n - nVal);
  let a = 0;
  let b = 0;
  for (let i = 0; i < n; i++) if (isVal[i]) val[a++] = i; else train[b++] = i;
  return { train, val };
}
