import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { fitRidge, linearTrainer, predictLinear } from '../../../src/kinds/train/trainers/linear.js';
import { fitLogistic, logisticTrainer, predictClass, predictProba } from '../../../src/kinds/train/trainers/logistic.js';
import type { TrainMatrix } from '../../../src/kinds/train/trainers/types.js';
import { isOrtqError } from '../../../src/errors.js';
import { loadSplit, target } from './datasets.js';

/** row-major float32 [N, d], as a prediction run feeds the model */
function tensor(X: TrainMatrix): ort.Tensor {
  const d = X.columns.length;
  const data = new Float32Array(X.rows * d);
  for (let j = 0; j < d; j++) for (let i = 0; i < X.rows; i++) data[i * d + j] = X.columns[j][i];
  return new ort.Tensor('float32', data, [X.rows, d]);
}

async function score(onnx: Uint8Array, X: TrainMatrix): Promise<ort.InferenceSession.OnnxValueMapType> {
  const session = await ort.InferenceSession.create(onnx);
  try {
    return await session.run({ float_input: tensor(X) });
  } finally {
    await session.release();
  }
}

describe('exported ONNX-ML models score as the trainers predict (onnxruntime)', () => {
  const cases = [
    { name: 'iris', label: 'species', labelType: 'string' },
    { name: 'breast_cancer', label: 'malignant', labelType: 'int64' },
    { name: 'wine', label: 'cultivar', labelType: 'int64' },
  ] as const;
  for (const c of cases) {
    it(`logistic on ${c.name}: LinearClassifier label and probabilities`, async () => {
      const s = loadSplit(c.name, c.label, 'classification');
      const k = s.classes.length;
      const hyperparameters = logisticTrainer.hyperparameters({});
      const result = await logisticTrainer.fit({
        task: 'classification', X: s.train, target: target(s), hyperparameters, seed: 7, inputName: 'float_input',
      });
      expect(result.classes).toEqual(s.classes);
      const out = await score(result.onnx, s.test);
      expect(out.probabilities.dims).toEqual([s.test.rows, k]);
      expect(out.label.type).toBe(c.labelType);
      const fit = fitLogistic(s.train, s.yTrain, k, hyperparameters as never);
      const want = predictProba(fit, s.test);
      const got = out.probabilities.data as Float32Array;
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
      expect(worst).toBeLessThan(1e-5);
      const labels = Array.from(out.label.data as ArrayLike<unknown>, (v) => (typeof v === 'bigint' ? Number(v) : v));
      expect(labels).toEqual(Array.from(predictClass(want, k), (q) => s.classes[q]));
    });
  }

  it('linear on diabetes: LinearRegressor variable [N, 1]', async () => {
    const s = loadSplit('diabetes', 'progression', 'regression');
    const hyperparameters = linearTrainer.hyperparameters({ l2: 0.5 });
    const result = await linearTrainer.fit({
      task: 'regression', X: s.train, target: target(s), hyperparameters, seed: 7, inputName: 'float_input',
    });
    const out = await score(result.onnx, s.test);
    expect(out.variable.dims).toEqual([s.test.rows, 1]);
    const want = predictLinear(fitRidge(s.train, s.yTrain, { l2: 0.5 }), s.test);
    const got = out.variable.data as Float32Array;
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i]))).toBeLessThan(1e-5);
  });
});

describe('hyperparameters and bad data', () => {
  it('fills defaults as scikit-learn and refuses unknown keys and bad values, naming the key', () => {
    expect(logisticTrainer.hyperparameters({})).toEqual({ l2: 1, maxIter: 100, tol: 1e-4 });
    expect(linearTrainer.hyperparameters({})).toEqual({ l2: 1 });
    for (const [trainer, bad, key] of [
      [logisticTrainer, { C: 1 }, 'C'], [logisticTrainer, { maxIter: 2.5 }, 'maxIter'], [logisticTrainer, { tol: 0 }, 'tol'],
      [linearTrainer, { l2: -1 }, 'l2'], [linearTrainer, { l2: '1' }, 'l2'],
    ] as const) {
      try {
        trainer.hyperparameters(bad as Record<string, unknown>);
        expect.unreachable();
      } catch (err) {
        expect(isOrtqError(err, 'ORTQ_JOB_INVALID')).toBe(true);
        expect((err as Error).message).toContain(`hyperparameters.${key}`);
      }
    }
  });

  it('a missing feature value is ORTQ_TRAIN_DATA_INVALID naming the column and row', () => {
    const s = loadSplit('diabetes', 'progression', 'regression');
    s.train.columns[2][41] = NaN;
    expect(() => fitRidge(s.train, s.yTrain, { l2: 1 })).toThrow(/bmi.*row 42/);
    expect(() => fitLogistic(s.train, Float64Array.from(s.yTrain, (v) => (v > 140 ? 1 : 0)), 2, { l2: 1, maxIter: 5, tol: 1e-4 }))
      .toThrow(expect.objectContaining({ code: 'ORTQ_TRAIN_DATA_INVALID' }));
  });

  it('a constant column and collinear columns still fit', () => {
    const n = 50;
    const a = Float64Array.from({ length: n }, (_, i) => Math.sin(i));
    const X = { names: ['a', 'a2', 'c'], rows: n, columns: [a, a.map((v) => 2 * v), new Float64Array(n).fill(3)] };
    const y = a.map((v) => 4 * v + 1);
    const fit = fitRidge(X, y, { l2: 0 });
    const yhat = predictLinear(fit, X);
    for (let i = 0; i < n; i++) expect(yhat[i]).toBeCloseTo(y[i], 6);
    expect(fit.coef[2]).toBeCloseTo(0, 12);
    const cls = fitLogistic(X, y.map((v) => (v > 1 ? 1 : 0)), 2, { l2: 1, maxIter: 100, tol: 1e-4 });
    expect(cls.coef[2]).toBeCloseTo(0, 12);
    expect(Number.isFinite(cls.loss)).toBe(true);
  });
});
