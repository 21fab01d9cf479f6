import { describe, expect, it } from 'vitest';
import { METRICS, computeMetric, type MetricName } from '../../../src/kinds/train/metrics.js';

/*
 * Reference values from scikit-learn 1.2.1:
 *   /usr/bin/python3 test/kinds/train/reference/metrics.py
 * builds the same arrays from the same formulas and prints every value below.
 */
const REF = {
  binary: {
    accuracy: 0.775, balanced_accuracy: 0.7803030303030303, precision: 0.7142857142857143, recall: 0.8333333333333334,
    f1: 0.7692307692307692, precision_macro: 0.7781954887218046, recall_macro: 0.7803030303030303,
    f1_macro: 0.774859287054409, roc_auc: 0.8977272727272728, log_loss: 0.39638921116270576, brier: 0.1315,
  },
  binaryLogLossF32: 0.3963892269271897,
  multi: {
    accuracy: 0.36666666666666664, balanced_accuracy: 0.3595238095238095, precision_macro: 0.4388888888888889,
    recall_macro: 0.3595238095238095, f1_macro: 0.3598086124401914, roc_auc: 0.6251477507999247,
    log_loss: 1.0631365195447153, brier: 0.6703707482993198,
  },
  zero: {
    accuracy: 0.4, balanced_accuracy: 0.38888888888888884, precision_macro: 0.25, recall_macro: 0.29166666666666663,
    f1_macro: 0.2678571428571429,
  },
  regression: { rmse: 0.42426406871192845, mae: 0.35999999999999993, r2: 0.9873110760207534, mape: 54043195528446.08 },
  clip: { f64: 18.195113489698564, f32: 8.144479401381682 },
};

function binaryData(): { y: Int32Array; pred: Int32Array; proba: Float64Array } {
  const n = 40;
  const y = new Int32Array(n);
  const pred = new Int32Array(n);
  const proba = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) {
    const p1 = ((i * 37) % 11) / 10;
    let t = ((i * 13) % 7 < 3) !== (i % 6 === 0) ? 1 : 0;
    if (p1 > 0.75) t = 1;
    else if (p1 < 0.15) t = 0;
    y[i] = t;
    pred[i] = p1 >= 0.5 ? 1 : 0;
    proba[2 * i] = 1 - p1;
    proba[2 * i + 1] = p1;
  }
  return { y, pred, proba };
}

function multiData(): { y: Float64Array; pred: Float64Array; proba: Float64Array } {
  const n = 30;
  const k = 3;
  const y = new Float64Array(n);
  const pred = new Float64Array(n);
  const proba = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    const a = [0, 1, 2].map((j) => ((i * (j + 3) * 7 + j * 5) % 10) + 1);
    const sum = a[0] + a[1] + a[2];
    let best = 0;
    for (let j = 0; j < k; j++) {
      proba[i * k + j] = a[j] / sum;
      if (a[j] > a[best]) best = j;
    }
    y[i] = (i * 5 + Math.floor(i / 4)) % 3;
    pred[i] = best;
  }
  return { y, pred, proba };
}

function expectAll(ref: Record<string, number>, input: Parameters<typeof computeMetric>[1]): void {
  for (const [name, want] of Object.entries(ref)) {
    expect(computeMetric(name as MetricName, input), name).toBeCloseTo(want, 12);
  }
}

describe('metrics against scikit-learn 1.2.1', () => {
  it('binary labels and probabilities, ties in the scores', () => {
    expectAll(REF.binary, { ...binaryData(), k: 2 });
  });

  it('log_loss clips to the epsilon of the probabilities\' type and renormalizes', () => {
    const { y, proba } = binaryData();
    expect(computeMetric('log_loss', { y, pred: y, proba: Float32Array.from(proba), k: 2 })).toBeCloseTo(REF.binaryLogLossF32, 6);
    const yc = Int32Array.of(1, 0, 1, 0);
    const pc = [1, 0, 0, 1, 0, 1, 0.5, 0.5];
    expect(computeMetric('log_loss', { y: yc, pred: yc, proba: Float64Array.from(pc), k: 2 })).toBeCloseTo(REF.clip.f64, 10);
    expect(computeMetric('log_loss', { y: yc, pred: yc, proba: Float32Array.from(pc), k: 2 })).toBeCloseTo(REF.clip.f32, 5);
  });

  it('multiclass: macro averages, one-vs-rest roc_auc, multiclass brier', () => {
    expectAll(REF.multi, { ...multiData(), k: 3 });
  });

  it('zero division counts as 0; a class only predicted is left out of balanced accuracy', () => {
    const y = Int32Array.of(0, 0, 1, 1, 2, 2, 0, 1, 2, 0);
    const pred = Int32Array.of(0, 3, 1, 0, 1, 0, 3, 1, 1, 0);
    expectAll(REF.zero, { y, pred, k: 4 });
    const yb = Int32Array.of(0, 0, 1, 1);
    const pb = new Int32Array(4);
    for (const m of ['precision', 'recall', 'f1'] as const) expect(computeMetric(m, { y: yb, pred: pb, k: 2 })).toBe(0);
  });

  it('regression, mape with a zero target, r2 of a constant target', () => {
    const n = 25;
    const y = new Float64Array(n);
    const yhat = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      y[i] = ((i * 17) % 13) - 4;
      yhat[i] = y[i] + (((i * 7) % 5) - 2) * 0.3;
    }
    for (const [name, want] of Object.entries(REF.regression)) {
      expect(computeMetric(name as MetricName, { y, pred: yhat }) / want, name).toBeCloseTo(1, 12);
    }
    expect(computeMetric('r2', { y: Float64Array.of(2, 2), pred: Float64Array.of(2, 2) })).toBe(1);
    expect(computeMetric('r2', { y: Float64Array.of(2, 2), pred: Float64Array.of(2, 3) })).toBe(0);
  });

  it('roc_auc is NaN when one class is absent; binary-only metrics refuse three classes', () => {
    const y = Int32Array.of(1, 1, 1);
    expect(computeMetric('roc_auc', { y, pred: y, proba: Float64Array.of(0.2, 0.8, 0.5, 0.5, 0.1, 0.9), k: 2 })).toBeNaN();
    const { y: ym, pred } = multiData();
    expect(() => computeMetric('f1', { y: ym, pred, k: 3 })).toThrow(/f1_macro/);
  });

  it('every metric declares its task and direction', () => {
    for (const [name, m] of Object.entries(METRICS)) {
      expect(['classification', 'regression'], name).toContain(m.task);
      expect(typeof m.greaterIsBetter, name).toBe('boolean');
    }
    expect(METRICS.log_loss.greaterIsBetter).toBe(false);
    expect(METRICS.roc_auc.needsProba).toBe(true);
    expect(METRICS.r2.greaterIsBetter).toBe(true);
  });
});
