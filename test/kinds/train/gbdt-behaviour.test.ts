import { describe, expect, it } from 'vitest';
import { isOrtqError } from '../../../src/errors.js';
import { shouldStop } from '../../../src/kinds/train/trainers/gbdt/boosting.js';
import { GBDT_DEFAULTS, fitGbdt, gbdtHyperparameters, gbdtTrainer } from '../../../src/kinds/train/trainers/gbdt/index.js';
import { benchData } from '../../../src/bench/train-gbdt.js';
import { loadSplit, trainerInput } from './gbdt-fixtures.js';

function problemsOf(given: Record<string, unknown>): string {
  try {
    gbdtTrainer.hyperparameters(given);
  } catch (err) {
    expect(isOrtqError(err, 'ORTQ_JOB_INVALID')).toBe(true);
    return (err as Error).message;
  }
  throw new Error('expected ORTQ_JOB_INVALID');
}

describe('gbdt hyperparameters', () => {
  it('fills scikit-learn defaults', () => {
    expect(gbdtTrainer.hyperparameters({})).toEqual({
      learningRate: 0.1, maxIter: 100, maxLeaves: 31, maxDepth: null, minSamplesLeaf: 20, l2: 0, maxBins: 255, earlyStopping: null,
    });
    expect(gbdtTrainer.defaults).toEqual({ ...GBDT_DEFAULTS });
    expect(gbdtTrainer.hyperparameters({ maxDepth: 6, maxLeaves: null, earlyStopping: { patience: 3 } })).toMatchObject({
      maxDepth: 6, maxLeaves: null, earlyStopping: { validationFraction: 0.1, patience: 3, tol: 1e-7 },
    });
  });

  it('an unknown key is ORTQ_JOB_INVALID naming it; every bad value is listed with its path', () => {
    expect(problemsOf({ max_iter: 10 })).toMatch(/hyperparameters\.max_iter: unknown/);
    const msg = problemsOf({ learningRate: 0, maxBins: 256, maxLeaves: 1, minSamplesLeaf: 1.5, earlyStopping: { patience: 0, foo: 1 } });
    for (const path of ['learningRate', 'maxBins', 'maxLeaves', 'minSamplesLeaf', 'earlyStopping.patience', 'earlyStopping.foo']) {
      expect(msg).toContain(`hyperparameters.${path}`);
    }
    expect(problemsOf({ earlyStopping: { validationFraction: 1 } })).toContain('hyperparameters.earlyStopping.validationFraction');
  });
});

describe('gbdt fitting', () => {
  it('is deterministic given the seed', async () => {
    const s = loadSplit('wine', 'classification');
    const hp = { maxIter: 30, earlyStopping: { validationFraction: 0.25, patience: 50 } };
    const a = await gbdtTrainer.fit(trainerInput(s, 'classification', hp, 3));
    const b = await gbdtTrainer.fit(trainerInput(s, 'classification', hp, 3));
    const c = await gbdtTrainer.fit(trainerInput(s, 'classification', hp, 4));
    expect(Buffer.from(a.onnx).equals(Buffer.from(b.onnx))).toBe(true);
    expect(Buffer.from(a.onnx).equals(Buffer.from(c.onnx))).toBe(false); // another validation split
  });

  it('early stopping stops once the validation loss has not improved for `patience` rounds', () => {
    const s = loadSplit('breast_cancer', 'classification');
    const params = gbdtHyperparameters({ maxIter: 500, learningRate: 0.5, earlyStopping: { validationFraction: 0.2, patience: 5 } });
    const m = fitGbdt(s.train, s.yTrain, { task: 'classification', classes: 2, params, seed: 1 });
    expect(m.iterations).toBeLessThan(500);
    expect(m.trees).toHaveLength(m.iterations);
    expect(m.validationLoss).toHaveLength(m.iterations + 1);
    const scores = m.validationLoss.map((l) => -l);
    expect(shouldStop(scores, 5, 1e-7)).toBe(true);
    expect(shouldStop(scores.slice(0, -1), 5, 1e-7)).toBe(false);
    const off = fitGbdt(s.train, s.yTrain, { task: 'classification', classes: 2, params: gbdtHyperparameters({ maxIter: 40 }), seed: 1 });
    expect(off.iterations).toBe(40);
  });

  it('histogram threads give the very same model as one thread', () => {
    const { columns, z } = benchData(25_000, 10);
    const y = Float64Array.from(z, (v) => (v > 0.15 ? 1 : 0));
    for (const [task, target] of [['regression', z], ['classification', y]] as const) {
      const params = gbdtHyperparameters({ maxIter: 4, maxLeaves: 15 });
      const one = fitGbdt(columns, target, { task, classes: 2, params, seed: 1, threads: 1 });
      const two = fitGbdt(columns, target, { task, classes: 2, params, seed: 1, threads: 2 });
      expect(two.trees).toEqual(one.trees);
      expect(two.trainLoss).toBe(one.trainLoss);
    }
  });

  it('reports progress and its own fit', async () => {
    const s = loadSplit('diabetes', 'regression');
    const seen: number[] = [];
    const r = await gbdtTrainer.fit({ ...trainerInput(s, 'regression', { maxIter: 10 }), onProgress: (f) => seen.push(f) });
    expect(seen).toHaveLength(10);
    expect(seen[9]).toBe(1);
    expect(r.classes).toEqual([]);
    expect(r.info).toMatchObject({ iterations: 10, trees: 10 });
  });
});
