import type { LinearModel, MlpModel, TwoInputModel, ZipMapClassifier } from '../../src/onnx/model-zoo.js';

/** Reference predictions computed in plain JS, outside ortq and onnxruntime. */

export function linearRef(m: LinearModel, x: Float64Array, rows: number): Float64Array {
  const out = new Float64Array(rows * m.outputs);
  for (let i = 0; i < rows; i++) {
    for (let o = 0; o < m.outputs; o++) {
      let s = m.bias[o];
      for (let j = 0; j < m.features; j++) s += Math.fround(x[i * m.features + j]) * m.weights[j * m.outputs + o];
      out[i * m.outputs + o] = s;
    }
  }
  return out;
}

export function mlpRef(m: MlpModel, x: Float64Array, rows: number): Float64Array {
  let cur = Float64Array.from(x, (v) => Math.fround(v));
  for (let l = 0; l < m.layers.length; l++) {
    const { W, b, in: inn, out } = m.layers[l];
    const next = new Float64Array(rows * out);
    for (let i = 0; i < rows; i++) {
      for (let o = 0; o < out; o++) {
        let s = b[o];
        for (let j = 0; j < inn; j++) s += cur[i * inn + j] * W[j * out + o];
        next[i * out + o] = l + 1 < m.layers.length ? Math.max(0, s) : s;
      }
    }
    cur = next;
  }
  return cur;
}

export function twoInputRef(m: TwoInputModel, x: Float64Array, cats: string[], rows: number): Float64Array {
  const k = m.weights.length;
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let j = 0; j < k; j++) s += Math.fround(x[i * k + j]) * m.weights[j];
    out[i] = s + m.categories.indexOf(cats[i]);
  }
  return out;
}

export function classifierRef(m: ZipMapClassifier, x: Float64Array, rows: number): { probs: Float64Array; labels: Array<string | number> } {
  const C = m.classes.length;
  const F = m.features;
  const probs = new Float64Array(rows * C);
  const labels: Array<string | number> = [];
  for (let i = 0; i < rows; i++) {
    const z = new Float64Array(C);
    for (let c = 0; c < C; c++) {
      let s = m.intercepts[c];
      for (let j = 0; j < F; j++) s += Math.fround(x[i * F + j]) * m.coefficients[c * F + j];
      z[c] = s;
    }
    const max = Math.max(...z);
    const e = z.map((v) => Math.exp(v - max));
    const sum = e.reduce((a, b) => a + b, 0);
    let best = 0;
    for (let c = 0; c < C; c++) {
      probs[i * C + c] = e[c] / sum;
      if (e[c] > e[best]) best = c;
    }
    labels.push(m.classes[best]);
  }
  return { probs, labels };
}

export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-4): void {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} != ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (!(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)))) throw new Error(`value ${i}: got ${a}, expected ${e}`);
  }
}
