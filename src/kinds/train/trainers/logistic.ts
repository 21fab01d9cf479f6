/**
 * `logistic`: L2-penalized logistic regression, binary or multinomial, fitted
 * by L-BFGS: scikit-learn's `LogisticRegression(C=1/l2, solver="lbfgs")`, with
 * the same objective (summed log-loss + ½ l2 Σ w², the intercept unpenalized),
 * the same stopping rules (`tol` on the gradient's largest component, scipy's
 * relative-decrease test) and `maxIter`. Features are centered and scaled
 * internally, which conditions the problem far better than raw columns; the
 * scaling is folded back into the exported coefficients.
 */
import { OrtqError } from '../../../errors.js';
import { linearClassifierModel } from '../../../onnx/ml-linear.js';
import { columnStats, type ColumnStats } from './column-stats.js';
import { numericHyperparameters } from './hyperparameters.js';
import { minimizeLbfgs } from './lbfgs.js';
import { binaryObjective, multinomialObjective } from './logistic-loss.js';
import type { BuiltinTrainer, TrainMatrix, TrainerInput, TrainerResult } from './types.js';

/** Hyperparameters of `logistic`. */
export interface LogisticOptions {
  /** the inverse of scikit-learn's `C`: the penalty ½ l2 Σ w² on the summed loss. @defaultValue 1 */
  l2: number;
  /** L-BFGS iterations at most (`max_iter`). @defaultValue 100 */
  maxIter: number;
  /** stop when no gradient component exceeds this (`tol`). @defaultValue 1e-4 */
  tol: number;
}

/** Raw-scale model: `coef` row-major [rows, d], one row (binary: class 1's decision function) or k rows. */
export interface LogisticFit {
  classes: number;
  coef: Float64Array;
  intercepts: Float64Array;
  iterations: number;
  /** objective evaluations (line-search steps included) */
  evaluations: number;
  converged: boolean;
  message: string;
  loss: number;
}

/** Largest component of the gradient with respect to the raw coefficients w_j = β_j / s_j and the raw intercept. */
function rawGradientNorm(stats: ColumnStats, d: number, rows: number): (g: Float64Array) => number {
  return (g) => {
    let m = 0;
    for (let q = 0; q < rows; q++) {
      const o = q * (d + 1);
      const gb = g[o + d];
      m = Math.max(m, Math.abs(gb));
      for (let j = 0; j < d; j++) m = Math.max(m, Math.abs(stats.scale[j] * g[o + j] + stats.mean[j] * gb));
    }
    return m;
  };
}

/**
 * The scale each centered column is divided by. The penalty sits on the raw
 * coefficients, so in standardized units it is l2 / s_j² per coordinate: huge
 * for a column with a tiny spread, which would make the problem ill-conditioned
 * again. With t_j = √(s_j² + 4 l2 / N) the Hessian's diagonal, ≈ N s_j² / (4 t_j²)
 * + l2 / t_j² for the data and the penalty, is ≈ N / 4 for every coordinate.
 */
function conditioningScale(stats: ColumnStats, n: number, l2: number): ColumnStats {
  return { mean: stats.mean, scale: stats.scale.map((s) => Math.sqrt(s * s + (4 * l2) / n)) };
}

export function fitLogistic(X: TrainMatrix, y: Float64Array, k: number, opts: LogisticOptions, onProgress?: (f: number) => void): LogisticFit {
  const d = X.columns.length;
  if (X.rows === 0) throw new OrtqError('ORTQ_TRAIN_DATA_INVALID', 'the training data has no rows');
  if (k < 2) throw new OrtqError('ORTQ_TRAIN_DATA_INVALID', `the label has ${k} class; a classifier needs at least 2`);
  const stats = conditioningScale(columnStats(X), X.rows, opts.l2);
  const rows = k === 2 ? 1 : k;
  const objective = k === 2 ? binaryObjective(X, y, stats, opts.l2) : multinomialObjective(X, y, k, stats, opts.l2);
  const result = minimizeLbfgs(objective, new Float64Array(rows * (d + 1)), {
    maxIter: opts.maxIter,
    gtol: opts.tol,
    gradientNorm: rawGradientNorm(stats, d, rows),
    onIteration: onProgress ? (it) => onProgress(it / opts.maxIter) : undefined,
  });
  const coef = new Float64Array(rows * d);
  const intercepts = new Float64Array(rows);
  for (let q = 0; q < rows; q++) {
    let b = result.x[q * (d + 1) + d];
    for (let j = 0; j < d; j++) {
      const w = result.x[q * (d + 1) + j] / stats.scale[j];
      coef[q * d + j] = w;
      b -= w * stats.mean[j];
    }
    intercepts[q] = b;
  }
  return { classes: k, coef, intercepts, iterations: result.iterations, evaluations: result.evaluations, converged: result.converged, message: result.message, loss: result.f };
}

/** Class probabilities, row-major [N, k], in float64 (the exported model computes in float32). */
export function predictProba(fit: LogisticFit, X: TrainMatrix): Float64Array {
  const d = X.columns.length;
  const n = X.rows;
  const k = fit.classes;
  const rows = fit.intercepts.length;
  const scores = new Float64Array(n * rows);
  for (let q = 0; q < rows; q++) {
    for (let i = 0; i < n; i++) {
      let s = fit.intercepts[q];
      for (let j = 0; j < d; j++) s += fit.coef[q * d + j] * X.columns[j][i];
      scores[i * rows + q] = s;
    }
  }
  const out = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    if (k === 2) {
      const p = 1 / (1 + Math.exp(-scores[i]));
      out[2 * i] = 1 - p;
      out[2 * i + 1] = p;
      continue;
    }
    let max = -Infinity;
    for (let q = 0; q < k; q++) max = Math.max(max, scores[i * k + q]);
    let sum = 0;
    for (let q = 0; q < k; q++) sum += out[i * k + q] = Math.exp(scores[i * k + q] - max);
    for (let q = 0; q < k; q++) out[i * k + q] /= sum;
  }
  return out;
}

/** The class index of each row's greatest probability (the first on ties, as argmax). */
export function predictClass(proba: Float64Array, k: number): Int32Array {
  const n = proba.length / k;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let q = 1; q < k; q++) if (proba[i * k + q] > proba[i * k + best]) best = q;
    out[i] = best;
  }
  return out;
}

const DEFAULTS: LogisticOptions = { l2: 1, maxIter: 100, tol: 1e-4 };

export const logisticTrainer: BuiltinTrainer = {
  name: 'logistic',
  tasks: ['classification'],
  defaults: { ...DEFAULTS },
  hyperparameters: (given) =>
    numericHyperparameters('logistic', { ...DEFAULTS }, {
      l2: { min: 0 },
      maxIter: { min: 1, integer: true },
      tol: { min: 0, exclusiveMin: true },
    }, given),
  fit(input: TrainerInput): TrainerResult {
    const opts = input.hyperparameters as unknown as LogisticOptions;
    const classes = input.target.classes;
    const fit = fitLogistic(input.X, input.target.y, classes.length, opts, input.onProgress);
    const onnx = linearClassifierModel({
      inputName: input.inputName,
      features: input.X.columns.length,
      coef: fit.coef,
      intercepts: fit.intercepts,
      classes,
    });
    return {
      onnx,
      classes,
      info: { solver: 'lbfgs', iterations: fit.iterations, evaluations: fit.evaluations, converged: fit.converged, message: fit.message, trainLoss: fit.loss / input.X.rows },
    };
  },
};
