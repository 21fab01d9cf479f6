import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NumericBinner } from '../../src/monitor/binner.js';
import { FeedCounter } from '../../src/monitor/feed-counts.js';
import { DriftAccumulator } from '../../src/monitor/histograms.js';
import { argmax, argmaxColumns } from '../../src/monitor/columns.js';
import { ProfileBuilder } from '../../src/monitor/profile-builder.js';
import { SIMD_BINS_WASM_BASE64 } from '../../src/monitor/simd-bins-wasm.js';
import { binsModuleBytes, ceilFloat32, kernelEdges, MAX_SIMD_EDGES, nativeBins, resetSimdBins, simdBins } from '../../src/monitor/simd-bins.js';
import { vectorFromArray, makeData, makeVector, Float32, Float64, RecordBatch, Schema, Field, Struct } from 'apache-arrow';

/**
 * The counts as ortq has always defined them (and as the scalar scan counts):
 * bin = the number of edges e with x ≥ e, compared as float64; NaN → the null slot.
 */
function reference(edges: readonly number[], values: ArrayLike<number>, length = values.length, validity?: (r: number) => boolean): number[] {
  const counts = new Array<number>(edges.length + 2).fill(0);
  for (let r = 0; r < length; r++) {
    const x = values[r];
    if ((validity && !validity(r)) || x !== x) counts[edges.length + 1]++;
    else counts[edges.filter((e) => x >= e).length]++;
  }
  return counts;
}

let seed = 11;
const rnd = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296);

const FLT_MAX = 3.4028234663852886e38;
const SPECIAL = [NaN, Infinity, -Infinity, 0, -0, FLT_MAX, -FLT_MAX, 1.4e-45, -1.4e-45, 1e-40];

/** Random values with a share of exact edges, their float32 neighbours, NaN, ±∞, ±0, subnormals. */
function values(n: number, edges: readonly number[], type: 'f32' | 'f64'): Float32Array | Float64Array {
  const out = type === 'f32' ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = rnd();
    const e = edges.length ? edges[Math.floor(rnd() * edges.length)] : 0;
    if (u < 0.15) out[i] = e;
    else if (u < 0.25) out[i] = Math.fround(e) + (rnd() < 0.5 ? -1 : 1) * Math.abs(Math.fround(e)) * 2 ** -23;
    else if (u < 0.32) out[i] = SPECIAL[Math.floor(rnd() * SPECIAL.length)];
    else out[i] = (rnd() - 0.4) * 40;
  }
  return out;
}

const EDGE_CASES: number[][] = [
  [-3.5, -1, 0, 0.25, 0.5, 2, 8, 9, 100], // deciles-like, 9 edges
  [0.1, 0.2, 0.3, 0.7], // not float32: a float32 edge must round up to count the same
  [0, 1e-40, 1e-12, 1], // subnormal edge
  [-FLT_MAX * 2, -1, FLT_MAX * 2], // beyond float32's range
  [],
  [5],
  Array.from({ length: MAX_SIMD_EDGES }, (_, i) => i - 7),
  Array.from({ length: MAX_SIMD_EDGES + 3 }, (_, i) => (i - 9) / 3), // beyond the kernel: scalar path
];

describe('SIMD drift bins', () => {
  it('the emitted module is valid WebAssembly and loads here', () => {
    expect(WebAssembly.validate(binsModuleBytes())).toBe(true);
    // the stored module is the emitter's output (else: npm run build && npm run gen:simd-bins)
    expect(Buffer.from(SIMD_BINS_WASM_BASE64, 'base64').equals(Buffer.from(binsModuleBytes()))).toBe(true);
    expect(simdBins()).not.toBeNull();
  });

  it('rounds an edge up to the least float32 not below it', () => {
    expect(ceilFloat32(0.1)).toBe(Math.fround(0.1)); // fround(0.1) > 0.1 already
    expect(Math.fround(0.7)).toBeLessThan(0.7); // rounds down: the next float32 up is the edge
    expect(ceilFloat32(0.7)).toBeGreaterThan(0.7);
    expect(ceilFloat32(0.7)).toBe(0.7000000476837158);
    expect(ceilFloat32(1e-46)).toBe(1.401298464324817e-45);
    expect(ceilFloat32(FLT_MAX * 2)).toBe(Infinity);
    expect(ceilFloat32(-FLT_MAX * 2)).toBe(-FLT_MAX);
    expect(ceilFloat32(2)).toBe(2);
  });

  // where the addon is not built, skipped (not passed empty): every kernel below is then the WebAssembly one, still the same counts
  it.skipIf(!nativeBins('native'))('loads the native kernel where the addon is built (npm ci builds it where a compiler is), at the best level the CPU has', () => {
    const native = nativeBins('native')!;
    expect(['avx512', 'avx2']).toContain(native.level());
    expect(nativeBins('wasm')).toBeNull();
    expect(nativeBins('avx2')!.level()).toBe('avx2');
    native.setLevel('best');
  });
});

/**
 * Every kernel this machine has counts the same: ORTQ_DRIFT_KERNEL=wasm (the
 * WebAssembly kernel), avx2 and native (the addon's AVX2 and best paths,
 * where it is built; the WebAssembly kernel where not).
 */
const KERNELS = ['wasm', 'avx2', 'native'] as const;
/** the addon's best level on this CPU, or null where it is not built */
const BEST = nativeBins('native')?.level() ?? null;

describe.each(KERNELS)('SIMD drift bins, ORTQ_DRIFT_KERNEL=%s', (kernelName) => {
  const saved = process.env.ORTQ_DRIFT_KERNEL;
  beforeAll(() => {
    process.env.ORTQ_DRIFT_KERNEL = kernelName;
    resetSimdBins();
    const native = simdBins()!.native;
    expect(native === null ? 'wasm' : native.level()).toBe(kernelName === 'wasm' || !BEST ? 'wasm' : kernelName === 'avx2' ? 'avx2' : BEST);
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.ORTQ_DRIFT_KERNEL;
    else process.env.ORTQ_DRIFT_KERNEL = saved;
    nativeBins('native')?.setLevel('best');
    resetSimdBins();
  });

  it('counts contiguous float32 and float64 columns exactly as the float64 definition, any length', () => {
    for (const edges of EDGE_CASES) {
      const b = new NumericBinner(edges);
      for (const type of ['f32', 'f64'] as const) {
        for (const n of [0, 1, 3, 4, 5, 7, 4099]) {
          const v = values(n, edges, type);
          const counts = new Float64Array(b.bins + 1);
          const nan = b.count(v, n, counts);
          const want = reference(edges, v);
          expect(Array.from(counts), `${type} n=${n} edges=${edges.length}`).toEqual(want);
          expect(nan).toBe(want[want.length - 1]);
          // a shorter length than the array reads only that prefix
          const part = new Float64Array(b.bins + 1);
          b.count(v, Math.floor(n / 2), part);
          expect(Array.from(part)).toEqual(reference(edges, v, Math.floor(n / 2)));
        }
      }
    }
  });

  it('agrees with the scalar scan (the counting before SIMD) through a strided view of the same values', () => {
    for (const edges of EDGE_CASES) {
      const b = new NumericBinner(edges);
      const v = values(3001, edges, 'f32');
      const simd = new Float64Array(b.bins + 1);
      b.count(v, v.length, simd);
      const m = new Float32Array(v.length * 2).fill(NaN);
      v.forEach((x, i) => { m[2 * i + 1] = x; });
      const scalar = new Float64Array(b.bins + 1);
      b.count(m, v.length, scalar, 2, 1);
      expect(Array.from(simd)).toEqual(Array.from(scalar));
    }
  });

  it('takes rows with a clear validity bit out of their bin and into the null slot', () => {
    const edges = [-1, 0, 1];
    const b = new NumericBinner(edges);
    for (const type of ['f32', 'f64'] as const) {
      const n = 1001;
      const v = values(n, edges, type);
      const bits = new Uint8Array(Math.ceil((n + 3) / 8));
      for (let i = 0; i < bits.length; i++) bits[i] = Math.floor(rnd() * 256);
      const valid = (r: number): boolean => (bits[(r + 3) >> 3] & (1 << ((r + 3) & 7))) !== 0;
      const counts = new Float64Array(b.bins + 1);
      const nulls = b.countValid(v, n, counts, bits, 3);
      const want = reference(edges, v, n, valid);
      expect(Array.from(counts)).toEqual(want);
      expect(nulls).toBe(want[want.length - 1]);
    }
  });

  it('counts the columns of a row-major score matrix in place, each against its own edges', () => {
    const kernel = simdBins()!;
    for (const type of ['f32', 'f64'] as const) {
      for (const width of [1, 2, 3, 4, 5, 7, 10]) {
        const rows = 517;
        const colEdges = Array.from({ length: width }, (_, j) => EDGE_CASES[j % 7]); // includes [] and 15 edges
        const m = type === 'f32' ? new Float32Array(rows * width) : new Float64Array(rows * width);
        for (let j = 0; j < width; j++) {
          const col = values(rows, colEdges[j], type);
          for (let r = 0; r < rows; r++) m[r * width + j] = col[r];
        }
        const counts = colEdges.map((e) => (e.length <= MAX_SIMD_EDGES ? new Float64Array(e.length + 2) : null));
        kernel.countMatrix(m, rows, width, colEdges.map((e, j) => (counts[j] ? kernelEdges(e) : null)), counts);
        for (let j = 0; j < width; j++) {
          const col = Array.from({ length: rows }, (_, r) => m[r * width + j]);
          expect(Array.from(counts[j]!), `${type} width ${width} column ${j}`).toEqual(reference(colEdges[j], col));
        }
      }
    }
  });

  it('counts argmax classes as columns.ts argmax decides them: ties, NaN, ±∞', () => {
    const kernel = simdBins()!;
    const pick = [NaN, Infinity, -Infinity, 0, 1, 1, -0];
    for (const type of ['f32', 'f64'] as const) {
      for (const k of [2, 3, 10]) {
        const rows = 3001;
        const m = type === 'f32' ? new Float32Array(rows * k) : new Float64Array(rows * k);
        for (let i = 0; i < m.length; i++) m[i] = rnd() < 0.5 ? pick[Math.floor(rnd() * pick.length)] : Math.floor(rnd() * 3);
        m.fill(NaN, 0, k); // an all-NaN row
        const classes = new Float64Array(k);
        kernel.countMatrix(m, rows, k, new Array(k).fill(null), new Array(k).fill(null), classes);
        const want = new Array<number>(k).fill(0);
        for (const c of argmax(m, rows, k)) want[c]++;
        expect(Array.from(classes), `${type} k=${k}`).toEqual(want);
      }
    }
  });

  it('counts a column where it lies: an offset view, a SharedArrayBuffer, the feed; with `finite` the same when no value is NaN', () => {
    const kernel = simdBins()!;
    const edges = EDGE_CASES[0];
    const b = new NumericBinner(edges);
    for (const type of ['f32', 'f64'] as const) {
      const v = values(5003, edges, type);
      const Ctor = type === 'f32' ? Float32Array : Float64Array;
      const shared = new Ctor(new SharedArrayBuffer(v.byteLength + 3 * v.BYTES_PER_ELEMENT), 3 * v.BYTES_PER_ELEMENT, v.length);
      shared.set(v);
      for (const [what, view] of [['offset', v.subarray(3)], ['shared', shared]] as const) {
        const counts = new Float64Array(b.bins + 1);
        b.count(view, view.length, counts);
        expect(Array.from(counts), `${type} ${what}`).toEqual(reference(edges, view));
      }
      // no NaN: `finite` skips the NaN check and counts the same
      const finite = v.map((x) => (x === x ? x : 0.5));
      const counts = new Float64Array(b.bins + 1);
      kernel.countColumn(finite, finite.length, b.simd!, counts, (x) => b.binOf(x), true);
      expect(Array.from(counts), `${type} finite`).toEqual(reference(edges, finite));
    }
    // the inference thread's feed: a column of it counted where it is
    const feed = kernel.feed(3 * 1001);
    const col = values(3 * 1001, edges, 'f32');
    feed.set(col);
    const counts = new Float64Array(b.bins + 1);
    b.count(feed.subarray(1001, 2002), 1001, counts);
    expect(Array.from(counts)).toEqual(reference(edges, col.subarray(1001, 2002)));
  });

  it('counts the columns of a feed as the float64 definition (FeedCounter: one native call per feed, or column by column)', () => {
    const rows = 1003;
    const k = 7;
    const plans = [
      { index: [0, 2, 3, 6], edges: [EDGE_CASES[0], EDGE_CASES[1], EDGE_CASES[4], EDGE_CASES[6]] },
      { index: [1, 5], edges: [EDGE_CASES[2], EDGE_CASES[7]] }, // more edges than the kernel takes: column by column
    ];
    const feed = new Float32Array(k * rows);
    for (let j = 0; j < k; j++) feed.set(values(rows, EDGE_CASES[j % 4], 'f32'), j * rows);
    const finiteFeed = feed.map((x) => (x === x ? x : 1));
    const counter = new FeedCounter();
    plans.forEach((p, i) => {
      for (const [data, finite] of [[feed, false], [finiteFeed, true]] as const) {
        const out = counter.count({ plan: i + 1, feed: 'x', rows, columns: p.index.map((index, c) => ({ index, edges: p.edges[c] })) }, data, finite);
        const want = p.index.flatMap((index, c) => reference(p.edges[c], data.subarray(index * rows, (index + 1) * rows)));
        expect(Array.from(out), `plan ${i + 1} finite ${finite}`).toEqual(want);
      }
    });
  });

  it('counts the argmax classes of a column-major [k, rows] matrix as columns.ts argmax decides them, any rows and k', () => {
    const kernel = simdBins()!;
    const pick = [NaN, Infinity, -Infinity, 0, 1, 1, -0];
    for (const type of ['f32', 'f64'] as const) {
      for (const k of [2, 3, 10, 16, 17, 40]) {
        for (const rows of [1, 7, 16, 33, 1001]) {
          const t = type === 'f32' ? new Float32Array(rows * k + 5) : new Float64Array(rows * k + 5);
          for (let i = 0; i < t.length; i++) t[i] = rnd() < 0.5 ? pick[Math.floor(rnd() * pick.length)] : Math.floor(rnd() * 3);
          for (let j = 0; j < k; j++) t[j * rows] = NaN; // an all-NaN row
          const classes = new Float64Array(k);
          kernel.countClassesOfColumns(t.subarray(0, rows * k), rows, k, classes);
          const want = new Array<number>(k).fill(0);
          for (const c of argmaxColumns(t, rows, k)) want[c]++;
          expect(Array.from(classes), `${type} k=${k} rows=${rows}`).toEqual(want);
        }
      }
    }
  });

  it('a DriftAccumulator counts a transposed [k, rows] output (the shared path\'s) as the same output [rows, k]', () => {
    const rows = 2003;
    for (const k of [3, 10]) {
      const scores = new Float32Array(rows * k);
      for (let i = 0; i < scores.length; i++) scores[i] = i % 89 === 0 ? NaN : i % 97 === 0 ? Infinity : rnd() * 4 - 2;
      const builder = new ProfileBuilder();
      builder.add(new RecordBatch({ x: vectorFromArray(new Float32Array(rows), new Float32()) }), { y: { type: 'float32', data: scores, dims: [rows, k] } });
      const profile = builder.finish({ source: [] });
      const t = new Float32Array(new SharedArrayBuffer(rows * k * 4));
      for (let r = 0; r < rows; r++) for (let j = 0; j < k; j++) t[j * rows + r] = scores[r * k + j];
      const rowMajor = new DriftAccumulator(profile, 'sha256:test');
      rowMajor.addOutputs({ y: { type: 'float32', data: scores, dims: [rows, k] } }, rows);
      const columns = new DriftAccumulator(profile, 'sha256:test');
      for (let i = 0; i < 2; i++) columns.addOutputs({ y: { type: 'float32', data: t, dims: [k, rows] } }, rows, new Set(['y']));
      const once = rowMajor.result();
      rowMajor.addOutputs({ y: { type: 'float32', data: scores, dims: [rows, k] } }, rows);
      expect(columns.result(), `k=${k}`).toEqual(rowMajor.result());
      for (let j = 0; j < k; j++) {
        const p = profile.outputs[`y_${j}`];
        if (p.kind !== 'numeric') throw new Error('numeric expected');
        expect(once.outputs[`y_${j}`]).toEqual(reference(p.edges, Array.from({ length: rows }, (_, r) => scores[r * k + j])));
      }
    }
  });

  it('a DriftAccumulator counts inputs, scores and classes exactly as the per-value definition', () => {
    const rows = 2003;
    const k = 3;
    const cols = Array.from({ length: 5 }, (_, j) => values(rows, EDGE_CASES[j], j % 2 ? 'f64' : 'f32'));
    const fields = cols.map((c, j) => new Field(`f${j}`, c instanceof Float32Array ? new Float32() : new Float64(), true));
    const batch = new RecordBatch(new Schema(fields), makeData({
      type: new Struct(fields), length: rows, nullCount: 0, children: cols.map((c) => makeVector(c).data[0]),
    }));
    const scores = new Float32Array(rows * k);
    for (let i = 0; i < scores.length; i++) scores[i] = i % 97 === 0 ? NaN : rnd() * 4 - 2;
    const builder = new ProfileBuilder();
    builder.add(batch, { y: { type: 'float32', data: scores, dims: [rows, k] } });
    const profile = builder.finish({ source: [] });
    const acc = new DriftAccumulator(profile, 'sha256:test');
    acc.addBatch(batch);
    acc.addOutputs({ y: { type: 'float32', data: scores, dims: [rows, k] } }, rows);
    const h = acc.result();
    for (let j = 0; j < cols.length; j++) {
      const p = profile.features[`f${j}`];
      if (p.kind !== 'numeric') throw new Error('numeric expected');
      expect(h.features[`f${j}`]).toEqual(reference(p.edges, cols[j]));
    }
    for (let j = 0; j < k; j++) {
      const p = profile.outputs[`y_${j}`];
      if (p.kind !== 'numeric') throw new Error('numeric expected');
      expect(h.outputs[`y_${j}`]).toEqual(reference(p.edges, Array.from({ length: rows }, (_, r) => scores[r * k + j])));
    }
    const classes = new Array<number>(h.outputs['y:class'].length).fill(0);
    const cls = profile.outputs['y:class'];
    if (cls.kind !== 'categorical') throw new Error('categorical expected');
    for (const c of argmax(scores, rows, k)) classes[cls.categories.indexOf(String(c))]++;
    expect(h.outputs['y:class']).toEqual(classes);
    // a validity bitmap on an input column goes through the same kernel
    const withNulls = vectorFromArray(Array.from(cols[0], (x, i) => (i % 5 === 0 ? null : x)), new Float32());
    const acc2 = new DriftAccumulator(profile, 'sha256:test');
    acc2.addBatch(new RecordBatch({ f0: withNulls }));
    const p0 = profile.features.f0;
    if (p0.kind !== 'numeric') throw new Error('numeric expected');
    expect(acc2.result().features.f0).toEqual(reference(p0.edges, cols[0], rows, (r) => r % 5 !== 0));
  });
});
