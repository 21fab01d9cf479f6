import { describe, expect, it } from 'vitest';
import { NumericBinner, quantileEdges, quantileSorted } from '../../src/monitor/binner.js';

/** The obvious definition: the number of edges ≤ x. */
function naiveBin(edges: number[], x: number): number {
  return edges.filter((e) => x >= e).length;
}

describe('NumericBinner', () => {
  it('counts left-closed bins, NaN into the null slot, ±∞ into the outer bins', () => {
    // edges [1, 2, 3] → bins (−∞,1) [1,2) [2,3) [3,+∞), then the null slot:
    //   0 → 0, −∞ → 0 | 1 → 1, 1.5 → 1 | 2 → 2 | 3 → 3, 10 → 3, +∞ → 3 | NaN → null
    const b = new NumericBinner([1, 2, 3]);
    const counts = new Float64Array(b.bins + 1);
    const nan = b.count(Float64Array.from([0, 1, 1.5, 2, 3, 10, NaN, -Infinity, Infinity]), 9, counts);
    expect(nan).toBe(1);
    expect(Array.from(counts)).toEqual([2, 2, 1, 3, 1]);
  });

  it('reads strided columns of a row-major matrix', () => {
    // [[0, 5], [2, 6], [4, 7]]: column 0 is 0, 2, 4 against edge 1 → [1, 2]; column 1 is 5, 6, 7 → [0, 3]
    const m = Float32Array.from([0, 5, 2, 6, 4, 7]);
    const b = new NumericBinner([1]);
    const c0 = new Float64Array(3);
    const c1 = new Float64Array(3);
    b.count(m, 3, c0, 2, 0);
    b.count(m, 3, c1, 2, 1);
    expect(Array.from(c0)).toEqual([1, 2, 0]);
    expect(Array.from(c1)).toEqual([0, 3, 0]);
  });

  it('handles no edges and one edge', () => {
    const none = new NumericBinner([]);
    const c = new Float64Array(2);
    none.count(Float64Array.from([-Infinity, 0, Infinity, NaN]), 4, c);
    expect(Array.from(c)).toEqual([3, 1]);
    const one = new NumericBinner([0]);
    const d = new Float64Array(3);
    one.count(Float64Array.from([-1, 0, Infinity]), 3, d);
    expect(Array.from(d)).toEqual([1, 2, 0]);
  });

  it('skips rows whose validity bit is clear, counting them as null', () => {
    // validity 0b101: rows 0 and 2 valid, row 1 null; bit offset 1 shifts that to rows 1 and 3 of the bitmap
    const b = new NumericBinner([5]);
    const counts = new Float64Array(3);
    b.countValid(Float64Array.from([1, 7, 9]), 3, counts, Uint8Array.of(0b1010), 1);
    expect(Array.from(counts)).toEqual([1, 1, 1]);
  });

  it('agrees with the naive definition on random data, float32 ties, strides and more edges than the scan holds', () => {
    let s = 7;
    const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 4294967296);
    const cases: number[][] = [
      [-3.5, -1, 0, 0.25, 0.5, 2, 8, 9, 100],
      [0, 1e-12, 2e-12, 1],
      Array.from({ length: 15 }, (_, i) => i - 7), // more than SCAN_EDGES: binary search
      [Math.fround(0.1), Math.fround(0.2), Math.fround(0.7)],
    ];
    for (const edges of cases) {
      const b = new NumericBinner(edges);
      const values = new Float32Array(5000);
      for (let i = 0; i < values.length; i++) values[i] = i % 7 === 0 ? edges[i % edges.length] : (rnd() - 0.3) * 12;
      const counts = new Float64Array(b.bins + 1);
      b.count(values, values.length, counts);
      const want = new Float64Array(b.bins + 1);
      for (const v of values) want[naiveBin(edges, v)]++;
      expect(Array.from(counts)).toEqual(Array.from(want));
      // the same values as column 1 of a two-column row-major matrix
      const m = new Float32Array(values.length * 2);
      values.forEach((v, i) => { m[2 * i + 1] = v; m[2 * i] = NaN; });
      const strided = new Float64Array(b.bins + 1);
      b.count(m, values.length, strided, 2, 1);
      expect(Array.from(strided)).toEqual(Array.from(want));
    }
  });

  it('refuses edges that are not finite and increasing', () => {
    expect(() => new NumericBinner([1, 1])).toThrow(/strictly increasing/);
    expect(() => new NumericBinner([0, Infinity])).toThrow(/finite/);
  });
});

describe('quantile edges', () => {
  it('takes deciles with linear interpolation, as numpy.quantile', () => {
    // np.quantile(np.arange(1, 11), np.arange(1, 10) / 10) → [1.9 2.8 3.7 4.6 5.5 6.4 7.3 8.2 9.1]
    // by hand: q = 0.1 sits at position 0.1·(10 − 1) = 0.9, so 1 + 0.9·(2 − 1) = 1.9
    const edges = quantileEdges(Float64Array.from({ length: 10 }, (_, i) => i + 1), 10);
    expect(edges.map((e) => +e.toFixed(12))).toEqual([1.9, 2.8, 3.7, 4.6, 5.5, 6.4, 7.3, 8.2, 9.1]);
    expect(quantileSorted([5], 0.5)).toBe(5);
  });

  it('drops repeated edges so a mostly-constant column gets fewer bins', () => {
    // np.quantile([0]*7 + [1]*3, np.arange(1, 10) / 10) → [0 0 0 0 0 0 0.3 1 1]
    // (q = 0.7: position 6.3, 0 + 0.3·(1 − 0)); repeats dropped → [0, 0.3, 1]
    expect(quantileEdges([0, 0, 0, 0, 0, 0, 0, 1, 1, 1], 10).map((e) => +e.toFixed(12))).toEqual([0, 0.3, 1]);
    expect(quantileEdges([], 10)).toEqual([]);
  });
});
