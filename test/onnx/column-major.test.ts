import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { columnMajorModel } from '../../src/onnx/column-major.js';
import { linearModel, mlpModel, treeEnsembleModel, twoInputModel, zipMapClassifier } from '../../src/onnx/model-zoo.js';
import { decodeModel } from '../../src/onnx/proto.js';
import { rewriteZipMap } from '../../src/onnx/zipmap.js';
import { encodeModel } from '../../src/onnx/proto.js';

function rows(n: number, k: number, seed = 0): Float32Array {
  return Float32Array.from({ length: n * k }, (_, i) => Math.sin((i + seed) * 0.37) * 3);
}

function transpose(x: Float32Array, n: number, k: number): Float32Array {
  const t = new Float32Array(n * k);
  for (let r = 0; r < n; r++) for (let c = 0; c < k; c++) t[c * n + r] = x[r * k + c];
  return t;
}

function sameBits(a: ArrayLike<unknown>, b: ArrayLike<unknown>): number {
  let diff = a.length === b.length ? 0 : Math.abs(a.length - b.length);
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (!Object.is(a[i], b[i])) diff++;
  return diff;
}

const clf = zipMapClassifier({ features: 5, classes: ['a', 'b', 'c'], seed: 4 });
const MODELS: Record<string, { bytes: Uint8Array; k: number }> = {
  linear: { bytes: linearModel({ features: 30, seed: 1 }).bytes, k: 30 },
  mlp: { bytes: mlpModel({ sizes: [64, 64, 32, 10], seed: 2 }).bytes, k: 64 },
  trees: { bytes: treeEnsembleModel({ trees: 8, depth: 4, features: 6, seed: 3 }).bytes, k: 6 },
  classifier: { bytes: encodeModel(rewriteZipMap(decodeModel(clf.bytes)).model), k: 5 },
};

describe('column-major model rewrite', () => {
  it.each(Object.keys(MODELS))('%s: [k, N] through the rewritten model gives the same bits as [N, k] through the original', async (name) => {
    const { bytes, k } = MODELS[name];
    const cm = columnMajorModel(bytes)!;
    expect(cm).not.toBeNull();
    const a = await ort.InferenceSession.create(bytes);
    const b = await ort.InferenceSession.create(cm.bytes);
    const input = a.inputNames[0];
    expect(cm.feeds[input].feed).toBe(`${input}__ortq_cm`);
    for (const n of [1, 7, 2049, 16387]) {
      const x = rows(n, k, n);
      const ra = await a.run({ [input]: new ort.Tensor('float32', x, [n, k]) });
      const rb = await b.run({ [cm.feeds[input].feed]: new ort.Tensor('float32', transpose(x, n, k), [k, n]) });
      for (const o of a.outputNames) {
        expect(rb[o].dims).toEqual(ra[o].dims);
        expect(sameBits(ra[o].data, rb[o].data)).toBe(0);
      }
      expect(Number.isFinite(Number(rb[cm.feeds[input].check!].data[0]))).toBe(true);
    }
  });

  it.each(Object.keys(MODELS))('%s, outputs transposed: each rank-2 output holds the original output transposed, bit for bit', async (name) => {
    const { bytes, k } = MODELS[name];
    const cm = columnMajorModel(bytes, { outputs: true })!;
    const a = await ort.InferenceSession.create(bytes);
    const b = await ort.InferenceSession.create(cm.bytes);
    const input = a.inputNames[0];
    for (const n of [1, 7, 2049, 16387]) {
      const x = rows(n, k, n);
      const ra = await a.run({ [input]: new ort.Tensor('float32', x, [n, k]) });
      const rb = await b.run({ [cm.feeds[input].feed]: new ort.Tensor('float32', transpose(x, n, k), [k, n]) });
      for (const o of a.outputNames) {
        const t = cm.outputs[o];
        if (ra[o].dims.length !== 2) {
          expect(t).toBeUndefined();
          expect(sameBits(ra[o].data, rb[o].data)).toBe(0);
          continue;
        }
        expect(t).toBe(`${o}__ortq_t`);
        const [rows2, cols2] = ra[o].dims;
        expect(rb[t].dims).toEqual([cols2, rows2]);
        expect(sameBits(transpose(ra[o].data as Float32Array, rows2, cols2), rb[t].data)).toBe(0);
      }
    }
    expect(b.outputNames.filter((o) => !o.endsWith('__ortq_sum')).sort()).toEqual(a.outputNames.map((o) => cm.outputs[o] ?? o).sort());
  });

  it('transposes outputs of a model whose inputs it leaves alone', () => {
    const flat = columnMajorModel(linearModel({ features: 1, seed: 1, flat: true }).bytes, { outputs: true });
    expect(flat).not.toBeNull();
  });

  it('the check output is not finite when any value is NaN or ±Infinity', async () => {
    const cm = columnMajorModel(MODELS.linear.bytes)!;
    const s = await ort.InferenceSession.create(cm.bytes);
    const { feed, check } = cm.feeds.input;
    for (const bad of [NaN, Infinity, -Infinity]) {
      const x = rows(10, 30);
      x[123] = bad;
      const r = await s.run({ [feed]: new ort.Tensor('float32', x, [30, 10]) });
      expect(Number.isFinite(Number(r[check!].data[0]))).toBe(false);
    }
  });

  it('leaves string and rank-1 inputs alone and rewrites the rest', () => {
    const two = columnMajorModel(twoInputModel({ features: 3, categories: ['a'], seed: 1 }).bytes)!;
    expect(Object.keys(two.feeds)).toEqual(['x']);
    const graph = decodeModel(two.bytes).graph!;
    expect(graph.input!.map((i) => i.name)).toEqual(['x__ortq_cm', 'category']);
    expect(graph.node![0].opType).toBe('Transpose');
    expect(columnMajorModel(linearModel({ features: 1, seed: 1, flat: true }).bytes)).not.toBeNull();
  });

  it('picks names that do not collide with the graph', () => {
    const m = linearModel({ features: 2, inputName: 'input__ortq_cm', seed: 1 });
    const cm = columnMajorModel(m.bytes)!;
    expect(cm.feeds['input__ortq_cm'].feed).toBe('input__ortq_cm__ortq_cm');
  });
});
