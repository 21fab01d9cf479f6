/**
 * Counting numbers into fixed bins, the hot path of drift monitoring.
 *
 * Bins are left-closed: with inner edges e[0] < … < e[m-1] the m+1 bins are
 * (−∞, e[0]), [e[0], e[1]), …, [e[m-1], +∞). NaN is not a bin: it is counted
 * with the nulls by the caller.
 */

import { kernelEdges, MAX_SIMD_EDGES, simdBins, type KernelEdges } from './simd-bins.js';

/** Any typed array a column or tensor holds numbers in (BigInt arrays are converted first). */
export type NumberArray = Float32Array | Float64Array | Int32Array | Uint32Array | Int16Array | Uint16Array | Int8Array | Uint8Array;

/** Edges the unrolled scan holds in locals; more edges fall back to binary search. */
export const SCAN_EDGES = 11;

/**
 * Bins numbers against fixed edges in one pass. Contiguous float32 and
 * float64 columns with up to MAX_SIMD_EDGES edges go through the
 * WebAssembly SIMD kernel (simd-bins.ts: four values per comparison, one
 * accumulator per edge, no per-value store): on 1M × 64 float32 values
 * (src/bench/drift.ts) 6–8× less CPU than the scalar scan below.
 * Otherwise, with up to SCAN_EDGES edges (12 bins; deciles make 10) the bin
 * is the branchless sum of `(x >= e_i)` over edges held in local variables,
 * missing edges padded with NaN (x >= NaN is false, even for x = +∞), and
 * beyond that a binary search. All three count exactly the same.
 */
export class NumericBinner {
  /** The inner edges, strictly increasing and finite. */
  readonly edges: Float64Array;
  /** edges.length + 1 */
  readonly bins: number;
  /** edges padded with NaN to SCAN_EDGES */
  private readonly padded: Float64Array;

  constructor(edges: ArrayLike<number>) {
    const e = Float64Array.from(edges);
    for (let i = 0; i < e.length; i++) {
      if (!Number.isFinite(e[i]) || (i > 0 && !(e[i] > e[i - 1]))) {
        throw new RangeError(`bin edges must be finite and strictly increasing; edge ${i} is ${e[i]}`);
      }
    }
    this.edges = e;
    this.bins = e.length + 1;
    this.padded = new Float64Array(SCAN_EDGES).fill(NaN);
    if (e.length <= SCAN_EDGES) this.padded.set(e);
    this.simd = e.length <= MAX_SIMD_EDGES ? kernelEdges(e) : null;
  }

  /** The edges as the SIMD kernel takes them, or null when there are too many for it (it is used where it loaded, see simdBins). */
  readonly simd: KernelEdges | null;

  private readonly tail = (x: number): number => this.binOf(x);

  /** The SIMD kernel for contiguous float columns, or null. */
  private kernelFor(values: NumberArray): ReturnType<typeof simdBins> {
    if (!this.simd || !(values instanceof Float32Array || values instanceof Float64Array)) return null;
    return simdBins();
  }

  /** The bin of one value (not NaN): the number of edges ≤ x. */
  binOf(x: number): number {
    let lo = 0;
    let hi = this.edges.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (x >= this.edges[mid]) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Adds `length` values — `values[offset]`, `values[offset + stride]`, … — to
   * `counts` (bins first; NaN goes to `counts[this.bins]`, the null slot).
   * Returns the number of NaN seen. `finite`: the caller knows that no value
   * is NaN (the native kernel then skips its NaN check; the counts are the same).
   */
  count(values: NumberArray, length: number, counts: Float64Array, stride = 1, offset = 0, finite = false): number {
    let nan = 0;
    const kernel = stride === 1 && offset === 0 ? this.kernelFor(values) : null;
    if (kernel) {
      const before = counts[this.bins];
      kernel.countColumn(values as Float32Array | Float64Array, length, this.simd!, counts, this.tail, finite);
      return counts[this.bins] - before;
    }
    if (this.edges.length > SCAN_EDGES) {
      for (let r = 0, p = offset; r < length; r++, p += stride) {
        const x = values[p];
        if (x !== x) nan++;
        else counts[this.binOf(x)]++;
      }
    } else if (stride === 1 && offset === 0) {
      nan = scanContiguous(this.padded, values, length, counts);
    } else {
      nan = scanStrided(this.padded, values, length, counts, stride, offset);
    }
    counts[this.bins] += nan;
    return nan;
  }

  /** As count (stride 1), skipping rows whose validity bit (Arrow layout, bit `bitOffset + r`) is clear; those count as null. */
  countValid(values: NumberArray, length: number, counts: Float64Array, validity: Uint8Array, bitOffset: number): number {
    const kernel = this.kernelFor(values);
    if (kernel) {
      // every slot counted by value, then each null slot's value taken back out
      // (a NaN one is already in the null slot): exact, and as cheap as the nulls are few
      const before = counts[this.bins];
      kernel.countColumn(values as Float32Array | Float64Array, length, this.simd!, counts, this.tail);
      for (let r = 0; r < length; r++) {
        const bit = bitOffset + r;
        if ((validity[bit >> 3] & (1 << (bit & 7))) !== 0) continue;
        const x = values[r];
        if (x === x) { counts[this.binOf(x)]--; counts[this.bins]++; }
      }
      return counts[this.bins] - before;
    }
    let nulls = 0;
    for (let r = 0; r < length; r++) {
      const bit = bitOffset + r;
      const x = values[r];
      if ((validity[bit >> 3] & (1 << (bit & 7))) === 0 || x !== x) { nulls++; continue; }
      counts[this.binOf(x)]++;
    }
    counts[this.bins] += nulls;
    return nulls;
  }
}

// The two scans are written out twice on purpose: a stride of 1 known to the
// compiler keeps the contiguous loop (the input columns) as tight as it gets.

function scanContiguous(e: Float64Array, values: NumberArray, length: number, counts: Float64Array): number {
  const e0 = e[0], e1 = e[1], e2 = e[2], e3 = e[3], e4 = e[4], e5 = e[5], e6 = e[6], e7 = e[7], e8 = e[8], e9 = e[9], e10 = e[10];
  let nan = 0;
  for (let r = 0; r < length; r++) {
    const x = values[r];
    if (x !== x) { nan++; continue; }
    counts[+(x >= e0) + +(x >= e1) + +(x >= e2) + +(x >= e3)
      + +(x >= e4) + +(x >= e5) + +(x >= e6) + +(x >= e7)
      + +(x >= e8) + +(x >= e9) + +(x >= e10)]++;
  }
  return nan;
}

function scanStrided(e: Float64Array, values: NumberArray, length: number, counts: Float64Array, stride: number, offset: number): number {
  const e0 = e[0], e1 = e[1], e2 = e[2], e3 = e[3], e4 = e[4], e5 = e[5], e6 = e[6], e7 = e[7], e8 = e[8], e9 = e[9], e10 = e[10];
  let nan = 0;
  for (let r = 0, p = offset; r < length; r++, p += stride) {
    const x = values[p];
    if (x !== x) { nan++; continue; }
    counts[+(x >= e0) + +(x >= e1) + +(x >= e2) + +(x >= e3)
      + +(x >= e4) + +(x >= e5) + +(x >= e6) + +(x >= e7)
      + +(x >= e8) + +(x >= e9) + +(x >= e10)]++;
  }
  return nan;
}

/**
 * Quantile of sorted finite values with linear interpolation between closest
 * ranks (numpy.quantile's default, method='linear').
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = q * (n - 1);
  const i = Math.floor(pos);
  const frac = pos - i;
  if (i + 1 >= n) return sorted[n - 1];
  return sorted[i] + (sorted[i + 1] - sorted[i]) * frac;
}

/**
 * Inner bin edges at the quantiles 1/bins, 2/bins, … (bins-1)/bins of the
 * values (deciles for bins = 10), with repeated edges dropped, so a feature
 * with few distinct values gets fewer, non-empty bins. `sorted` must be
 * sorted ascending, NaN-free.
 */
export function quantileEdges(sorted: ArrayLike<number>, bins: number): number[] {
  const out: number[] = [];
  for (let i = 1; i < bins; i++) {
    const q = quantileSorted(sorted, i / bins);
    if (Number.isFinite(q) && (out.length === 0 || q > out[out.length - 1])) out.push(q);
  }
  return out;
}
