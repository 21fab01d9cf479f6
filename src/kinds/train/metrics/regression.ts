/** Regression metrics with scikit-learn 1.2's definitions. */

export type Values = Float64Array | Float32Array | ArrayLike<number>;

function check(y: Values, yhat: Values): number {
  if (y.length !== yhat.length) throw new RangeError(`y has ${y.length} rows but the predictions have ${yhat.length}`);
  return y.length;
}

export function rmse(y: Values, yhat: Values): number {
  const n = check(y, yhat);
  let s = 0;
  for (let i = 0; i < n; i++) {
    const d = y[i] - yhat[i];
    s += d * d;
  }
  return n === 0 ? NaN : Math.sqrt(s / n);
}

export function mae(y: Values, yhat: Values): number {
  const n = check(y, yhat);
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.abs(y[i] - yhat[i]);
  return n === 0 ? NaN : s / n;
}

/** `r2_score` with `force_finite=True`: a constant `y` gives 1 for a perfect fit, else 0 */
export function r2(y: Values, yhat: Values): number {
  const n = check(y, yhat);
  if (n === 0) return NaN;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += y[i];
  mean /= n;
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < n; i++) {
    const d = y[i] - yhat[i];
    const t = y[i] - mean;
    ssRes += d * d;
    ssTot += t * t;
  }
  if (ssTot === 0) return ssRes === 0 ? 1 : 0;
  return 1 - ssRes / ssTot;
}

/** `mean_absolute_percentage_error`: mean |y − ŷ| / max(|y|, 2^-52), a fraction (not ×100) */
export function mape(y: Values, yhat: Values): number {
  const n = check(y, yhat);
  const eps = 2 ** -52;
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.abs(y[i] - yhat[i]) / Math.max(Math.abs(y[i]), eps);
  return n === 0 ? NaN : s / n;
}
