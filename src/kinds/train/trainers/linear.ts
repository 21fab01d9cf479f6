/**
 * `linear`: ridge regression, scikit-learn's `Ridge(alpha=l2)` with an
 * intercept. Closed form: the normal equations of the centered, standardized
 * columns, solved by Cholesky; the penalty stays on the raw-scale
 * coefficients (α Σ w_j², as Ridge), so standardizing only helps conditioning.
 */
import { OrtqError } from '../../../errors.js';
import { linearRegressorModel } from '../../../onnx/ml-linear.js';
import { choleskySolve } from './cholesky.js';
import { columnStats } from './column-stats.js';
import { numericHyperparameters } from './hyperparameters.js';
import type { BuiltinTrainer, TrainMatrix, TrainerInput, TrainerResult } from './types.js';

/** Hyperparameters of `linear`. */
export interface RidgeOptions {
  /** Ridge's `alpha`: the penalty α Σ w² on the coefficients (not the intercept). @defaultValue 1 */
  l2: number;
}

export interface LinearFit { coef: Float64Array; intercept: number }

// rows per block: the standardized block of every column stays in cache while the Gram matrix accumulates
const BLOCK = 512;

/** G[j, 0..j] += Z_j · Z_l over one block, four l per pass so Z_j is loaded a quarter as often. */
function lowerRow(G: Float64Array, Z: Float64Array, j: number, d: number, len: number): void {
  const oj = j * BLOCK;
  let l = 0;
  for (; l + 4 <= j + 1; l += 4) {
    const o0 = l * BLOCK;
    const o1 = o0 + BLOCK;
    const o2 = o1 + BLOCK;
    const o3 = o2 + BLOCK;
    let t0 = 0;
    let t1 = 0;
    let t2 = 0;
    let t3 = 0;
    for (let i = 0; i < len; i++) {
      const zj = Z[oj + i];
      t0 += zj * Z[o0 + i];
      t1 += zj * Z[o1 + i];
      t2 += zj * Z[o2 + i];
      t3 += zj * Z[o3 + i];
    }
    G[j * d + l] += t0;
    G[j * d + l + 1] += t1;
    G[j * d + l + 2] += t2;
    G[j * d + l + 3] += t3;
  }
  for (; l <= j; l++) {
    const ol = l * BLOCK;
    let t = 0;
    for (let i = 0; i < len; i++) t += Z[oj + i] * Z[ol + i];
    G[j * d + l] += t;
  }
}

/** Z^T Z and Z^T y_c of the standardized columns Z, accumulated over row blocks in one pass. */
function normalEquations(X: TrainMatrix, y: Float64Array, mean: Float64Array, scale: Float64Array, yMean: number) {
  const d = X.columns.length;
  const n = X.rows;
  const G = new Float64Array(d * d);
  const r = new Float64Array(d);
  const Z = new Float64Array(d * BLOCK);
  const yb = new Float64Array(BLOCK);
  for (let start = 0; start < n; start += BLOCK) {
    const len = Math.min(BLOCK, n - start);
    for (let i = 0; i < len; i++) yb[i] = y[start + i] - yMean;
    for (let j = 0; j < d; j++) {
      const col = X.columns[j];
      const m = mean[j];
      const inv = 1 / scale[j];
      const o = j * BLOCK;
      for (let i = 0; i < len; i++) Z[o + i] = (col[start + i] - m) * inv;
    }
    for (let j = 0; j < d; j++) {
      const oj = j * BLOCK;
      let s = 0;
      for (let i = 0; i < len; i++) s += Z[oj + i] * yb[i];
      r[j] += s;
      lowerRow(G, Z, j, d, len);
    }
  }
  for (let j = 0; j < d; j++) for (let l = 0; l < j; l++) G[l * d + j] = G[j * d + l];
  return { G, r };
}

export function fitRidge(X: TrainMatrix, y: Float64Array, opts: RidgeOptions): LinearFit {
  const d = X.columns.length;
  const n = X.rows;
  if (n === 0) throw new OrtqError('ORTQ_TRAIN_DATA_INVALID', 'the training data has no rows');
  const { mean, scale } = columnStats(X);
  let yMean = 0;
  for (let i = 0; i < n; i++) yMean += y[i];
  yMean /= n;
  if (Number.isNaN(yMean)) throw new OrtqError('ORTQ_TRAIN_DATA_INVALID', 'the label holds a missing value');
  const { G, r } = normalEquations(X, y, mean, scale, yMean);
  // α Σ w_j² with w_j = β_j / s_j: the penalty on the standardized β_j is α / s_j²
  for (let j = 0; j < d; j++) G[j * d + j] += opts.l2 / (scale[j] * scale[j]);
  let beta = Float64Array.from(r);
  if (!choleskySolve(Float64Array.from(G), beta, d)) {
    // singular (l2 = 0 and collinear columns): the smallest ridge that makes it solvable
    let trace = 0;
    for (let j = 0; j < d; j++) trace += G[j * d + j];
    for (let j = 0; j < d; j++) G[j * d + j] += 1e-10 * (trace / d || 1);
    beta = Float64Array.from(r);
    choleskySolve(G, beta, d);
  }
  const coef = new Float64Array(d);
  let intercept = yMean;
  for (let j = 0; j < d; j++) {
    coef[j] = beta[j] / scale[j];
    intercept -= coef[j] * mean[j];
  }
  return { coef, intercept };
}

/** ŷ = X w + b, in float64 (the exported model computes in float32). */
export function predictLinear(fit: LinearFit, X: TrainMatrix): Float64Array {
  const out = new Float64Array(X.rows).fill(fit.intercept);
  for (let j = 0; j < X.columns.length; j++) {
    const col = X.columns[j];
    const w = fit.coef[j];
    for (let i = 0; i < X.rows; i++) out[i] += w * col[i];
  }
  return out;
}

const DEFAULTS: RidgeOptions = { l2: 1 };

export const linearTrainer: BuiltinTrainer = {
  name: 'linear',
  tasks: ['regression'],
  defaults: { ...DEFAULTS },
  hyperparameters: (given) => numericHyperparameters('linear', { ...DEFAULTS }, { l2: { min: 0 } }, given),
  fit(input: TrainerInput): TrainerResult {
    const opts = input.hyperparameters as unknown as RidgeOptions;
    const fit = fitRidge(input.X, input.target.y, opts);
    input.onProgress?.(1);
    const onnx = linearRegressorModel({ inputName: input.inputName, features: input.X.columns.length, coef: fit.coef, intercept: fit.intercept });
    return { onnx, classes: [], info: { solver: 'cholesky', rows: input.X.rows, features: input.X.columns.length } };
  },
};
