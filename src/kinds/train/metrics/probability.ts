/**
 * Probability metrics with scikit-learn 1.2's definitions. `proba` is
 * row-major [N, k]: `proba[i * k + j]` is P(class j | row i).
 */
import type { Labels } from './classification.js';

export type Proba = Float32Array | Float64Array;

function rowsOf(y: Labels, proba: Proba, k: number): number {
  if (k < 2) throw new RangeError(`probability metrics need at least 2 classes, got ${k}`);
  if (proba.length !== y.length * k) {
    throw new RangeError(`probabilities hold ${proba.length} values; ${y.length} rows × ${k} classes expected`);
  }
  return y.length;
}

/**
 * P(score of a positive > score of a negative) + ½ P(equal): the area under
 * the ROC curve, ties included as sklearn's trapezoids count them. NaN when
 * one of the two groups is empty (sklearn raises there).
 */
function binaryAuc(pos: Float64Array, neg: Float64Array): number {
  if (pos.length === 0 || neg.length === 0) return NaN;
  pos.sort();
  neg.sort();
  let below = 0; // negatives strictly below the current positive score
  let wins = 0;
  for (let a = 0; a < pos.length; ) {
    const s = pos[a];
    let b = a;
    while (b < pos.length && pos[b] === s) b++;
    while (below < neg.length && neg[below] < s) below++;
    let equal = 0;
    while (below + equal < neg.length && neg[below + equal] === s) equal++;
    wins += (b - a) * (below + equal / 2);
    a = b;
  }
  return wins / (pos.length * neg.length);
}

/** AUC of column `j` for "class j against the rest" */
function oneVsRestAuc(y: Labels, proba: Proba, k: number, j: number, nPos: number): number {
  const pos = new Float64Array(nPos);
  const neg = new Float64Array(y.length - nPos);
  let p = 0;
  let q = 0;
  for (let i = 0; i < y.length; i++) {
    if (y[i] === j) pos[p++] = proba[i * k + j];
    else neg[q++] = proba[i * k + j];
  }
  return binaryAuc(pos, neg);
}

/**
 * Binary (k = 2): `roc_auc_score(y, proba[:, 1])`. Multiclass: the macro
 * average of one-vs-rest AUCs, `roc_auc_score(y, proba, multi_class="ovr")`.
 * sklearn raises when a class is missing from `y`; here such a class is left
 * out of the average (NaN when fewer than two classes are present).
 */
export function rocAuc(y: Labels, proba: Proba, k: number): number {
  const n = rowsOf(y, proba, k);
  const support = new Float64Array(k);
  for (let i = 0; i < n; i++) support[y[i]]++;
  if (k === 2) return oneVsRestAuc(y, proba, 2, 1, support[1]);
  let sum = 0;
  let m = 0;
  for (let j = 0; j < k; j++) {
    if (support[j] === 0 || support[j] === n) continue;
    sum += oneVsRestAuc(y, proba, k, j, support[j]);
    m++;
  }
  return m === 0 ? NaN : sum / m;
}

/**
 * Mean negative log-likelihood. As sklearn 1.2 (`eps="auto"`): each
 * probability is clipped to [eps, 1 - eps], eps being the machine epsilon of
 * the array's type (2^-23 for Float32Array, 2^-52 for Float64Array), then each
 * row is renormalized to sum 1. Classes are 0..k-1 (sklearn's `labels=range(k)`).
 */
export function logLoss(y: Labels, proba: Proba, k: number): number {
  const n = rowsOf(y, proba, k);
  const eps = proba instanceof Float32Array ? 2 ** -23 : 2 ** -52;
  const hi = proba instanceof Float32Array ? Math.fround(1 - eps) : 1 - eps;
  let total = 0;
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let j = 0; j < k; j++) sum += Math.min(hi, Math.max(eps, proba[i * k + j]));
    const p = Math.min(hi, Math.max(eps, proba[i * k + y[i]]));
    total -= Math.log(p / sum);
  }
  return n === 0 ? NaN : total / n;
}

/**
 * Brier score. Binary (k = 2): sklearn's `brier_score_loss(y, proba[:, 1])`,
 * the mean squared error of the positive-class probability. Multiclass:
 * Brier's original definition, the mean over rows of Σ_j (1[y = j] − p_j)²
 * (range [0, 2]; what sklearn ≥ 1.7 computes for multiclass input; 1.2 has none).
 */
export function brier(y: Labels, proba: Proba, k: number): number {
  const n = rowsOf(y, proba, k);
  let total = 0;
  if (k === 2) {
    for (let i = 0; i < n; i++) {
      const d = (y[i] === 1 ? 1 : 0) - proba[i * 2 + 1];
      total += d * d;
    }
  } else {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < k; j++) {
        const d = (y[i] === j ? 1 : 0) - proba[i * k + j];
        total += d * d;
      }
    }
  }
  return n === 0 ? NaN : total / n;
}
