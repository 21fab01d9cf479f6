/**
 * The three losses of scikit-learn's histogram gradient boosting, on raw
 * predictions laid out class-major: `raw[k * n + i]` is tree-output k of row
 * i. Gradients and hessians are float32, as in scikit-learn.
 */
export interface Loss {
  /** raw outputs per row: 1, or the number of classes for 3+ classes */
  outputs: number;
  /** true when every hessian is 1 (squared error): histograms then count rows instead */
  constantHessian: boolean;
  /** the intercept-only raw prediction (scikit-learn's `fit_intercept_only`) */
  baseline(y: Float64Array, rows: Uint32Array | null): Float64Array;
  /** fills gradient (and hessian, unless constant), same layout as raw */
  gradients(y: Float64Array, raw: Float64Array, g: Float32Array, h: Float32Array): void;
  /** mean loss (scikit-learn's half squared error / log loss) */
  value(y: Float64Array, raw: Float64Array): number;
}

const EPS = 2.220446049250313e-16;

function mean(y: Float64Array, rows: Uint32Array | null): number {
  let s = 0;
  const n = rows ? rows.length : y.length;
  for (let i = 0; i < n; i++) s += y[rows ? rows[i] : i];
  return s / n;
}

export const squaredError: Loss = {
  outputs: 1,
  constantHessian: true,
  baseline: (y, rows) => Float64Array.of(mean(y, rows)),
  gradients(y, raw, g) {
    for (let i = 0; i < y.length; i++) g[i] = raw[i] - y[i];
  },
  value(y, raw) {
    let s = 0;
    for (let i = 0; i < y.length; i++) s += (y[i] - raw[i]) ** 2;
    return (0.5 * s) / y.length;
  },
};

function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

export const binaryLogLoss: Loss = {
  outputs: 1,
  constantHessian: false,
  baseline(y, rows) {
    const p = Math.min(Math.max(mean(y, rows), EPS), 1 - EPS);
    return Float64Array.of(Math.log(p / (1 - p)));
  },
  gradients(y, raw, g, h) {
    for (let i = 0; i < y.length; i++) {
      const p = sigmoid(raw[i]);
      g[i] = p - y[i];
      h[i] = p * (1 - p);
    }
  },
  value(y, raw) {
    let s = 0;
    for (let i = 0; i < y.length; i++) {
      const r = raw[i];
      s += (r > 0 ? r + Math.log1p(Math.exp(-r)) : Math.log1p(Math.exp(r))) - y[i] * r;
    }
    return s / y.length;
  },
};

export function multinomialLogLoss(k: number): Loss {
  return {
    outputs: k,
    constantHessian: false,
    baseline(y, rows) {
      const n = rows ? rows.length : y.length;
      const counts = new Float64Array(k);
      for (let i = 0; i < n; i++) counts[y[rows ? rows[i] : i]]++;
      const logs = Array.from(counts, (c) => Math.log(Math.min(Math.max(c / n, EPS), 1 - EPS)));
      const avg = logs.reduce((a, b) => a + b, 0) / k;
      return Float64Array.from(logs, (l) => l - avg);
    },
    gradients(y, raw, g, h) {
      const n = y.length;
      const e = new Float64Array(k);
      for (let i = 0; i < n; i++) {
        let max = -Infinity;
        for (let c = 0; c < k; c++) max = Math.max(max, raw[c * n + i]);
        let sum = 0;
        for (let c = 0; c < k; c++) {
          e[c] = Math.exp(raw[c * n + i] - max);
          sum += e[c];
        }
        for (let c = 0; c < k; c++) {
          const p = e[c] / sum;
          g[c * n + i] = p - (y[i] === c ? 1 : 0);
          h[c * n + i] = p * (1 - p);
        }
      }
    },
    value(y, raw) {
      const n = y.length;
      let s = 0;
      for (let i = 0; i < n; i++) {
        let max = -Infinity;
        for (let c = 0; c < k; c++) max = Math.max(max, raw[c * n + i]);
        let sum = 0;
        for (let c = 0; c < k; c++) sum += Math.exp(raw[c * n + i] - max);
        s += max + Math.log(sum) - raw[y[i] * n + i];
      }
      return s / n;
    },
  };
}

export function lossFor(task: 'classification' | 'regression', classes: number): Loss {
  if (task === 'regression') return squaredError;
  return classes <= 2 ? binaryLogLoss : multinomialLogLoss(classes);
}

/** Probabilities from raw outputs (one row): sigmoid for one output, softmax otherwise. */
export function probabilities(raw: Float64Array, n: number, outputs: number, out: Float64Array): void {
  if (outputs === 1) {
    for (let i = 0; i < n; i++) {
      const p = sigmoid(raw[i]);
      out[i * 2] = 1 - p;
      out[i * 2 + 1] = p;
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let c = 0; c < outputs; c++) max = Math.max(max, raw[c * n + i]);
    let sum = 0;
    for (let c = 0; c < outputs; c++) sum += Math.exp(raw[c * n + i] - max);
    for (let c = 0; c < outputs; c++) out[i * outputs + c] = Math.exp(raw[c * n + i] - max) / sum;
  }
}
