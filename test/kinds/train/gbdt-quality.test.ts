import { describe, expect, it } from 'vitest';
import { exportGbdt, fitGbdt, gbdtHyperparameters, gbdtTrainer, predictGbdt } from '../../../src/kinds/train/trainers/gbdt/index.js';
import { accuracy, loadSplit, r2, score, trainerInput } from './gbdt-fixtures.js';

/*
 * Reference numbers: scikit-learn 1.2.1 on the same split (every 5th row held out):
 *
 *   import numpy as np, csv
 *   from sklearn.ensemble import HistGradientBoostingClassifier as C, HistGradientBoostingRegressor as R
 *   from sklearn.metrics import accuracy_score, r2_score
 *   def load(name):
 *       rows = list(csv.reader(open(f'test/fixtures/datasets/{name}.csv')))
 *       return np.array([[float(v) for v in r[:-1]] for r in rows[1:]]), np.array([r[-1] for r in rows[1:]])
 *   X, y = load('iris'); t = np.arange(len(y)) % 5 == 4
 *   m = C(early_stopping=False, **kw).fit(X[~t], y[~t]); accuracy_score(y[t], m.predict(X[t]))
 *   # diabetes: y = y.astype(float); m = R(early_stopping=False, **kw).fit(...); r2_score(y[t], m.predict(X[t]))
 *
 * with kw = {} (defaults) unless noted.
 */
const CASES = [
  { name: 'iris', task: 'classification', hp: {}, sklearn: 0.9666666666666667 },
  { name: 'breast_cancer', task: 'classification', hp: {}, sklearn: 0.9823008849557522 },
  { name: 'wine', task: 'classification', hp: {}, sklearn: 1.0 },
  // kw = dict(max_depth=3, learning_rate=0.2, max_iter=50, l2_regularization=1.0, min_samples_leaf=5, max_leaf_nodes=8)
  { name: 'iris', task: 'classification', hp: { maxDepth: 3, learningRate: 0.2, maxIter: 50, l2: 1, minSamplesLeaf: 5, maxLeaves: 8 }, sklearn: 0.9333333333333333 },
  { name: 'diabetes', task: 'regression', hp: {}, sklearn: 0.3684827450530732 },
  // kw = dict(max_depth=3, learning_rate=0.05, max_iter=200, l2_regularization=1.0, min_samples_leaf=10, max_bins=32)
  { name: 'diabetes', task: 'regression', hp: { maxDepth: 3, learningRate: 0.05, maxIter: 200, l2: 1, minSamplesLeaf: 10, maxBins: 32 }, sklearn: 0.4493380133074505 },
] as const;

describe('gbdt trainer on real data sets, scored by onnxruntime', () => {
  for (const c of CASES) {
    it(`${c.name} ${JSON.stringify(c.hp)}: within tolerance of scikit-learn, ONNX equals the trainer's own predictions`, async () => {
      const s = loadSplit(c.name, c.task);
      const result = await gbdtTrainer.fit(trainerInput(s, c.task, c.hp));
      const model = fitGbdt(s.train, s.yTrain, { task: c.task, classes: s.classes.length, params: gbdtHyperparameters(c.hp), seed: 7 });
      expect(exportGbdt(model, 'float_input', s.names.length, s.classes)).toEqual(result.onnx);
      const n = s.yTest.length;
      const mine = predictGbdt(model, s.test, n);
      const out = await score(result.onnx, s.test);
      if (c.task === 'regression') {
        const v = out.variable.data as Float32Array;
        expect(out.variable.dims).toEqual([n, 1]);
        for (let i = 0; i < n; i++) expect(Math.abs(v[i] - mine[i])).toBeLessThan(1e-5 * Math.max(1, Math.abs(mine[i])));
        expect(Math.abs(r2(v, s.yTest) - c.sklearn)).toBeLessThanOrEqual(0.02);
        expect(Math.abs(r2(mine, s.yTest) - c.sklearn)).toBeLessThanOrEqual(0.02);
        return;
      }
      const k = s.classes.length;
      expect(result.classes).toEqual(s.classes);
      const p = out.probabilities.data as Float32Array;
      expect(out.probabilities.dims).toEqual([n, k]);
      const labels = Array.from(out.label.data as ArrayLike<string | bigint>, (l) => (typeof l === 'bigint' ? Number(l) : l));
      const predicted = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let best = 0;
        for (let j = 0; j < k; j++) {
          expect(Math.abs(p[i * k + j] - mine[i * k + j])).toBeLessThan(1e-5);
          if (mine[i * k + j] > mine[i * k + best]) best = j;
        }
        predicted[i] = best;
        expect(labels[i]).toEqual(s.classes[best]);
      }
      expect(Math.abs(accuracy(predicted, s.yTest) - c.sklearn)).toBeLessThanOrEqual(0.01);
    });
  }
});
