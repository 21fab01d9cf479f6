import { describe, expect, it } from 'vitest';
import { float32AtMost } from '../../../src/kinds/train/trainers/gbdt/binning.js';
import { exportGbdt, fitGbdt, gbdtHyperparameters, predictGbdt } from '../../../src/kinds/train/trainers/gbdt/index.js';
import { treeEnsembleClassifier, type ExportTree } from '../../../src/onnx/ml-tree.js';
import { score } from './gbdt-fixtures.js';

const ULP = 2 ** -23;

describe('gbdt ONNX export', () => {
  it('float32AtMost gives the largest float32 not above its argument', () => {
    expect(float32AtMost(1)).toBe(1);
    expect(float32AtMost(1 + 1.5 * ULP)).toBe(1 + ULP); // fround would round up to 1 + 2 ULP
    expect(float32AtMost(0.1)).toBeLessThanOrEqual(0.1);
    expect(float32AtMost(0.1)).toBe(Math.fround(0.1) > 0.1 ? Math.fround(0.1) - 2 ** -27 : Math.fround(0.1));
    expect(float32AtMost(-1 - 0.5 * ULP)).toBe(-1 - ULP);
    expect(float32AtMost(1e-50)).toBe(0);
    expect(float32AtMost(-1e-50)).toBeLessThan(0);
  });

  it('splits adjacent float32 values apart, and onnxruntime puts every float32 input on the training side', async () => {
    // x: adjacent float32 numbers 1, 1+u, 1+2u, ... and float64 noise that float32 cannot see
    const n = 40;
    const x = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const j = i % 10;
      x[i] = 1 + j * ULP + (i >= 20 ? 1e-12 : 0);
      y[i] = j * 10;
    }
    const params = gbdtHyperparameters({ maxIter: 1, learningRate: 1, minSamplesLeaf: 1, maxLeaves: null });
    const model = fitGbdt([x], y, { task: 'regression', classes: 0, params, seed: 1 });
    const mine = predictGbdt(model, [x], n);
    const out = (await score(exportGbdt(model, 'float_input', 1, []), [x])).variable.data as Float32Array;
    for (let i = 0; i < n; i++) {
      expect(mine[i]).toBeCloseTo(y[i], 9);
      expect(out[i]).toBeCloseTo(y[i], 4);
    }
  });

  it('missing values: learned direction where training had NaN, the larger child otherwise; onnxruntime agrees', async () => {
    const n = 400;
    const a = new Float64Array(n);
    const b = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      a[i] = i % 4 === 0 ? NaN : (i * 7919) % 101;
      b[i] = (i * 104729) % 97;
      y[i] = i % 4 === 0 ? 100 : a[i] > 50 ? 10 : 0;
      y[i] += b[i] > 80 ? 5 : 0;
    }
    const params = gbdtHyperparameters({ maxIter: 20, minSamplesLeaf: 5 });
    const model = fitGbdt([a, b], y, { task: 'regression', classes: 0, params, seed: 1 });
    expect(model.mapper.hasMissing[0]).toBe(1);
    expect(model.mapper.hasMissing[1]).toBe(0);
    const ta = Float64Array.of(NaN, NaN, 10, 90, NaN);
    const tb = Float64Array.of(10, 90, NaN, NaN, NaN);
    const mine = predictGbdt(model, [ta, tb], 5);
    const out = (await score(exportGbdt(model, 'float_input', 2, []), [ta, tb])).variable.data as Float32Array;
    for (let i = 0; i < 5; i++) expect(Math.abs(out[i] - mine[i])).toBeLessThan(1e-4);
    expect(mine[0]).toBeGreaterThan(50); // NaN rows of training were the high ones
  });

  it('binary classifier whose leaf weights are all positive still gets the logistic transform', async () => {
    const tree: ExportTree = {
      nodes: 3, feature: Int32Array.of(0, 0, 0), threshold: Float64Array.of(0.5, 0, 0), missingLeft: Uint8Array.of(0, 0, 0),
      left: Int32Array.of(1, -1, -1), right: Int32Array.of(2, -1, -1), value: Float64Array.of(0, 0.25, 2),
    };
    const onnx = treeEnsembleClassifier({ inputName: 'float_input', features: 1, trees: [tree], treeTargets: [0], baseValues: [-1], classes: [3, 7] });
    const out = await score(onnx, [Float64Array.of(0, 1)]);
    const sig = (z: number) => 1 / (1 + Math.exp(-z));
    const p = out.probabilities.data as Float32Array;
    expect(p[1]).toBeCloseTo(sig(-0.75), 6);
    expect(p[0]).toBeCloseTo(1 - sig(-0.75), 6);
    expect(p[3]).toBeCloseTo(sig(1), 6);
    expect(Array.from(out.label.data as BigInt64Array, Number)).toEqual([3, 7]);
  });
});
