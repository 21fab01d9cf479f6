/**
 * The penalized log-loss of logistic regression and its gradient, in the
 * standardized parametrization: z = Σ_j β_j (x_j − m_j) / s_j + b. The sum
 * runs over the raw columns with w_j = β_j / s_j, so no standardized copy of
 * the data is made. The penalty is scikit-learn's, ½ l2 Σ w_j² on the raw-scale
 * coefficients (l2 = 1/C), added to the summed (not averaged) loss.
 */
import type { ColumnStats } from './column-stats.js';
import type { Objective } from './lbfgs.js';
import type { TrainMatrix } from './types.js';

// rows per block: a block of every column stays in cache between the forward and the gradient pass
const BLOCK = 2048;

/**
 * z[i] += Σ_j w[wo + j] · cols[j][start + i] over all columns, four columns per
 * pass so each z[i] is loaded and stored a quarter as often.
 */
function addProducts(z: Float64Array, cols: Float64Array[], w: Float64Array, wo: number, d: number, start: number, len: number): void {
  let j = 0;
  for (; j + 4 <= d; j += 4) {
    const c0 = cols[j];
    const c1 = cols[j + 1];
    const c2 = cols[j + 2];
    const c3 = cols[j + 3];
    const w0 = w[wo + j];
    const w1 = w[wo + j + 1];
    const w2 = w[wo + j + 2];
    const w3 = w[wo + j + 3];
    for (let i = 0, r = start; i < len; i++, r++) z[i] += w0 * c0[r] + w1 * c1[r] + w2 * c2[r] + w3 * c3[r];
  }
  for (; j < d; j++) {
    const c0 = cols[j];
    const w0 = w[wo + j];
    for (let i = 0, r = start; i < len; i++, r++) z[i] += w0 * c0[r];
  }
}

/** g[go + j] += Σ_i v[i] · cols[j][start + i], four columns per pass over v. */
function addDots(g: Float64Array, go: number, cols: Float64Array[], v: Float64Array, vo: number, d: number, start: number, len: number): void {
  let j = 0;
  for (; j + 4 <= d; j += 4) {
    const c0 = cols[j];
    const c1 = cols[j + 1];
    const c2 = cols[j + 2];
    const c3 = cols[j + 3];
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let i = 0, r = start; i < len; i++, r++) {
      const x = v[vo + i];
      s0 += x * c0[r];
      s1 += x * c1[r];
      s2 += x * c2[r];
      s3 += x * c3[r];
    }
    g[go + j] += s0;
    g[go + j + 1] += s1;
    g[go + j + 2] += s2;
    g[go + j + 3] += s3;
  }
  for (; j < d; j++) {
    const c0 = cols[j];
    let s0 = 0;
    for (let i = 0, r = start; i < len; i++, r++) s0 += v[vo + i] * c0[r];
    g[go + j] += s0;
  }
}

/** Binary: θ = [β_0 … β_{d−1}, b]; y holds 0 or 1. */
export function binaryObjective(X: TrainMatrix, y: Float64Array, stats: ColumnStats, l2: number): Objective {
  const d = X.columns.length;
  const n = X.rows;
  const cols = X.columns;
  const { mean, scale } = stats;
  const z = new Float64Array(BLOCK);
  const w = new Float64Array(d);
  const gx = new Float64Array(d);
  return (theta, grad) => {
    let c = theta[d];
    for (let j = 0; j < d; j++) {
      w[j] = theta[j] / scale[j];
      c -= w[j] * mean[j];
    }
    gx.fill(0);
    let sumR = 0;
    let loss = 0;
    for (let start = 0; start < n; start += BLOCK) {
      const len = Math.min(BLOCK, n - start);
      z.fill(c, 0, len);
      addProducts(z, cols, w, 0, d, start, len);
      for (let i = 0; i < len; i++) {
        const zi = z[i];
        const yi = y[start + i];
        const e = Math.exp(-Math.abs(zi));
        loss += (zi > 0 ? zi : 0) + Math.log1p(e) - yi * zi;
        const r = (zi > 0 ? 1 / (1 + e) : e / (1 + e)) - yi;
        z[i] = r;
        sumR += r;
      }
      addDots(gx, 0, cols, z, 0, d, start, len);
    }
    let penalty = 0;
    for (let j = 0; j < d; j++) {
      penalty += w[j] * w[j];
      grad[j] = (gx[j] - mean[j] * sumR + l2 * w[j]) / scale[j];
    }
    grad[d] = sumR;
    return loss + 0.5 * l2 * penalty;
  };
}

/** Multinomial over k classes: θ = k rows of [β_0 … β_{d−1}, b]; y holds class indices. */
export function multinomialObjective(X: TrainMatrix, y: Float64Array, k: number, stats: ColumnStats, l2: number): Objective {
  const d = X.columns.length;
  const n = X.rows;
  const cols = X.columns;
  const { mean, scale } = stats;
  const p = d + 1;
  const Z = new Float64Array(k * BLOCK);
  const zRows = Array.from({ length: k }, (_, q) => Z.subarray(q * BLOCK, (q + 1) * BLOCK));
  const w = new Float64Array(k * d);
  const c = new Float64Array(k);
  const gx = new Float64Array(k * d);
  const sumR = new Float64Array(k);
  return (theta, grad) => {
    for (let q = 0; q < k; q++) {
      let cq = theta[q * p + d];
      for (let j = 0; j < d; j++) {
        const wq = theta[q * p + j] / scale[j];
        w[q * d + j] = wq;
        cq -= wq * mean[j];
      }
      c[q] = cq;
    }
    gx.fill(0);
    sumR.fill(0);
    let loss = 0;
    for (let start = 0; start < n; start += BLOCK) {
      const len = Math.min(BLOCK, n - start);
      for (let q = 0; q < k; q++) {
        Z.fill(c[q], q * BLOCK, q * BLOCK + len);
        addProducts(zRows[q], cols, w, q * d, d, start, len);
      }
      for (let i = 0; i < len; i++) {
        const yi = y[start + i];
        const zy = Z[yi * BLOCK + i];
        let max = -Infinity;
        for (let q = 0; q < k; q++) max = Math.max(max, Z[q * BLOCK + i]);
        let sum = 0;
        for (let q = 0; q < k; q++) {
          const e = Math.exp(Z[q * BLOCK + i] - max);
          sum += e;
          Z[q * BLOCK + i] = e;
        }
        loss += max + Math.log(sum) - zy;
        const inv = 1 / sum;
        for (let q = 0; q < k; q++) {
          const r = Z[q * BLOCK + i] * inv - (q === yi ? 1 : 0);
          Z[q * BLOCK + i] = r;
          sumR[q] += r;
        }
      }
      for (let q = 0; q < k; q++) addDots(gx, q * d, cols, Z, q * BLOCK, d, start, len);
    }
    let penalty = 0;
    for (let q = 0; q < k; q++) {
      for (let j = 0; j < d; j++) {
        const wq = w[q * d + j];
        penalty += wq * wq;
        grad[q * p + j] = (gx[q * d + j] - mean[j] * sumR[q] + l2 * wq) / scale[j];
      }
      grad[q * p + d] = sumR[q];
    }
    return loss + 0.5 * l2 * penalty;
  };
}
