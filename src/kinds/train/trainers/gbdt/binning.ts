import { seededRandom } from '../../../../onnx/builder.js';

/** Rows sampled to find the bin edges of large data sets (scikit-learn's `subsample=2e5`). */
export const BINNING_SUBSAMPLE = 200_000;
const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * Per-feature bin edges. A value x (rounded to float32, as the ONNX model
 * sees it) falls in bin b iff `thresholds[b-1] < x <= thresholds[b]`; NaN
 * falls in `missingBin`. Every threshold is a float32 value, so training and
 * the exported BRANCH_LEQ nodes put every float32 input on the same side.
 */
export interface BinMapper {
  thresholds: Float64Array[];
  /** thresholds.length + 1 per feature */
  nBinsNonMissing: Int32Array;
  /** 1 where the training rows had a missing value in that feature */
  hasMissing: Uint8Array;
  /** the bin of missing values: maxBins (255 by default, so codes fit a Uint8Array) */
  missingBin: number;
}

const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);

/** The largest float32 that is <= t (t finite). */
export function float32AtMost(t: number): number {
  const r = Math.fround(t);
  if (r <= t) return r;
  f32[0] = r;
  if (r > 0) i32[0] -= 1;
  else if (r === 0) i32[0] = 0x80000001; // -smallest subnormal
  else i32[0] += 1;
  return f32[0];
}

/**
 * Bin edges like scikit-learn's `_find_binning_thresholds`: midpoints of the
 * distinct values when there are at most `maxBins` of them, otherwise
 * midpoint percentiles; each edge t then becomes the largest float32 <= t.
 * `rows`, when given, restricts fitting to those rows (early stopping's
 * training part).
 */
export function fitBinMapper(columns: Float64Array[], rows: Uint32Array | null, maxBins: number, seed: number): BinMapper {
  const n = rows ? rows.length : columns[0]?.length ?? 0;
  let sample: Uint32Array | null = rows;
  if (n > BINNING_SUBSAMPLE) sample = subsample(rows, n, BINNING_SUBSAMPLE, seed);
  const m = sample ? sample.length : n;
  const buf = new Float64Array(m);
  const thresholds: Float64Array[] = [];
  const nBinsNonMissing = new Int32Array(columns.length);
  const hasMissing = new Uint8Array(columns.length);
  columns.forEach((col, j) => {
    let k = 0;
    for (let i = 0; i < m; i++) {
      const v = Math.fround(col[sample ? sample[i] : i]);
      if (v === v) buf[k++] = v;
    }
    const sorted = buf.subarray(0, k).sort();
    thresholds.push(edges(sorted, maxBins));
    nBinsNonMissing[j] = thresholds[j].length + 1;
    hasMissing[j] = k < m || (sample !== rows && hasNaN(col, rows)) ? 1 : 0;
  });
  return { thresholds, nBinsNonMissing, hasMissing, missingBin: maxBins };
}

function hasNaN(col: Float64Array, rows: Uint32Array | null): boolean {
  if (rows) {
    for (let i = 0; i < rows.length; i++) if (col[rows[i]] !== col[rows[i]]) return true;
    return false;
  }
  for (let i = 0; i < col.length; i++) if (col[i] !== col[i]) return true;
  return false;
}

function edges(sorted: Float64Array, maxBins: number): Float64Array {
  const k = sorted.length;
  let distinct = k > 0 ? 1 : 0;
  for (let i = 1; i < k; i++) if (sorted[i] !== sorted[i - 1]) distinct++;
  const raw: number[] = [];
  if (distinct <= maxBins) {
    for (let i = 1; i < k; i++) if (sorted[i] !== sorted[i - 1]) raw.push((sorted[i - 1] + sorted[i]) * 0.5);
  } else {
    // numpy.percentile(..., method='midpoint') at linspace(0, 100, maxBins + 1)[1:-1]
    for (let b = 1; b < maxBins; b++) {
      const pos = (k - 1) * ((b * 100) / maxBins / 100);
      raw.push((sorted[Math.floor(pos)] + sorted[Math.ceil(pos)]) * 0.5);
    }
  }
  const out: number[] = [];
  for (const t of raw) {
    const e = float32AtMost(Math.min(t, FLOAT32_MAX));
    if (out.length === 0 || e > out[out.length - 1]) out.push(e);
  }
  return Float64Array.from(out);
}

/** `size` distinct rows out of `n` (partial Fisher-Yates), sorted, deterministic from `seed`. */
function subsample(rows: Uint32Array | null, n: number, size: number, seed: number): Uint32Array {
  const rnd = seededRandom(seed ^ 0x5bd1e995);
  const perm = new Uint32Array(n);
  for (let i = 0; i < n; i++) perm[i] = rows ? rows[i] : i;
  for (let i = 0; i < size; i++) {
    const j = i + Math.floor(rnd() * (n - i));
    const t = perm[i]; perm[i] = perm[j]; perm[j] = t;
  }
  return perm.slice(0, size).sort();
}

/** Buckets of binColumns' lookup table (per feature). */
const BUCKETS = 1024;

/**
 * Bin codes, column-major: `codes[j][i]` for row i (of `rows` when given) of
 * feature j. The code of x is the first b with x <= thresholds[b]; a table
 * over equal-width buckets of [first, last threshold] narrows it to the
 * thresholds in x's bucket (about one with quantile edges), then a binary
 * search. Monotone bucketing keeps it exact: every threshold in an earlier
 * bucket is < x, every one in a later bucket is > x.
 */
export function binColumns(mapper: BinMapper, columns: Float64Array[], rows: Uint32Array | null): Uint8Array[] {
  const first = new Int32Array(BUCKETS + 1);
  return columns.map((col, j) => {
    const thr = mapper.thresholds[j];
    const n = rows ? rows.length : col.length;
    const out = new Uint8Array(n);
    const nt = thr.length;
    const base = nt > 0 ? thr[0] : 0;
    const span = nt > 1 ? thr[nt - 1] - base : 0;
    const scale = span > 0 ? BUCKETS / span : 0;
    const bucket = (x: number) => {
      const t = (x - base) * scale;
      return t > 0 ? (t < BUCKETS ? t | 0 : BUCKETS - 1) : 0;
    };
    // first[b]: thresholds in buckets before b
    first.fill(0);
    for (let i = 0; i < nt; i++) first[bucket(thr[i]) + 1]++;
    for (let b = 0; b < BUCKETS; b++) first[b + 1] += first[b];
    for (let i = 0; i < n; i++) {
      const v = Math.fround(col[rows ? rows[i] : i]);
      if (v !== v) { out[i] = mapper.missingBin; continue; }
      const b = bucket(v);
      let lo = first[b];
      let hi = first[b + 1];
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (v <= thr[mid]) hi = mid;
        else lo = mid + 1;
      }
      out[i] = lo;
    }
    return out;
  });
}
