import { describe, expect, it } from 'vitest';
import { argmax, argmaxColumns } from '../../src/monitor/columns.js';
import { DriftAccumulator } from '../../src/monitor/histograms.js';
import { ProfileBuilder } from '../../src/monitor/profile-builder.js';
import { featureBatch } from '../../src/bench/datasets.js';
import { simdBins } from '../../src/monitor/simd-bins.js';

/** Outputs the shared predict path returns transposed, `[k, N]`, count as the same outputs `[N, k]`. */
const ROWS = 1001;
const K = 5;
let seed = 3;
const rnd = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296);

function scores(rows: number): Float32Array {
  const out = new Float32Array(rows * K);
  for (let i = 0; i < out.length; i++) {
    const u = rnd();
    out[i] = u < 0.05 ? NaN : u < 0.15 ? 0.5 : Math.round(rnd() * 8) / 8; // NaN, and ties
  }
  return out;
}

function transpose(m: Float32Array, rows: number, k: number): Float32Array {
  const t = new Float32Array(m.length);
  for (let r = 0; r < rows; r++) for (let j = 0; j < k; j++) t[j * rows + r] = m[r * k + j];
  return t;
}

describe('transposed model outputs', () => {
  it('argmaxColumns of [k, N] is argmax of [N, k]: first maximum, NaN rules', () => {
    const m = scores(ROWS);
    expect(Array.from(argmaxColumns(transpose(m, ROWS, K), ROWS, K))).toEqual(Array.from(argmax(m, ROWS, K)));
  });

  it.each([
    ['float32', Float32Array, 1001, 5],
    ['float64', Float64Array, 1001, 5],
    ['float32', Float32Array, 3, 7],
    ['float64', Float64Array, 16, 2],
  ] as const)('the wasm argmax of [k, N] (%s, %i rows, %i columns) counts the classes argmax gives', (_, Ctor, rows, k) => {
    const m = Ctor.from(scores(rows * k).subarray(0, rows * k));
    const t = new Ctor(m.length);
    for (let r = 0; r < rows; r++) for (let j = 0; j < k; j++) t[j * rows + r] = m[r * k + j];
    const expected = new Float64Array(k);
    for (const c of argmax(m, rows, k)) expected[c]++;
    const got = new Float64Array(k);
    simdBins()!.countClassesOfColumns(t, rows, k, got);
    expect(Array.from(got)).toEqual(Array.from(expected));
  });

  it.each([['float32', Float32Array], ['float64', Float64Array]] as const)('DriftAccumulator counts a [k, N] %s output named in `transposed` as the same [N, k] output', (type, Ctor) => {
    const b = new ProfileBuilder();
    b.add(featureBatch(2000, 2, 1), { y: { type: 'float32', data: scores(2000), dims: [2000, K] } });
    const profile = b.finish({ source: [] });
    const m = scores(ROWS);
    const rowMajor = new DriftAccumulator(profile, 'sha256:x');
    rowMajor.addOutputs({ y: { type, data: Ctor.from(m), dims: [ROWS, K] } }, ROWS);
    const columns = new DriftAccumulator(profile, 'sha256:x');
    columns.addOutputs({ y: { type, data: Ctor.from(transpose(m, ROWS, K)), dims: [K, ROWS] } }, ROWS, new Set(['y']));
    expect(Object.keys(rowMajor.result().outputs).length).toBeGreaterThan(K);
    expect(columns.result()).toEqual(rowMajor.result());
  });
});
