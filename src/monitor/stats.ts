/**
 * Drift statistics between two histograms over the same bins (the null slot
 * included, so a change in the null rate is drift too).
 *
 * Smoothing (PSI only): PSI takes ln(a/e), which is infinite when a bin is
 * empty on one side. Each proportion gets ε = 1e-4 added and the vector is
 * renormalized: p'_i = (p_i + ε) / (1 + k·ε) for k bins. With ε = 1e-4 a bin
 * that is empty in the reference and holds 10% of a run adds
 * (0.1 − 0.0001)·ln(0.1/0.0001) ≈ 0.69 to PSI, which is "drifted" (> 0.2) but
 * finite. Jensen–Shannon needs no smoothing (0·log 0 = 0) and is computed on
 * the raw proportions, as scipy.spatial.distance.jensenshannon does.
 */

/** Added to each proportion before PSI; see the module comment. */
export const PSI_EPSILON = 1e-4;

/** Counts → proportions summing to 1; null when the total is 0. */
export function proportions(counts: ArrayLike<number>): Float64Array | null {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i];
  if (!(total > 0)) return null;
  const p = new Float64Array(counts.length);
  for (let i = 0; i < counts.length; i++) p[i] = counts[i] / total;
  return p;
}

/** p'_i = (p_i + ε) / (1 + k·ε): no zero left, still sums to 1. */
export function smooth(p: ArrayLike<number>, epsilon = PSI_EPSILON): Float64Array {
  const k = p.length;
  const out = new Float64Array(k);
  for (let i = 0; i < k; i++) out[i] = (p[i] + epsilon) / (1 + k * epsilon);
  return out;
}

function checkSameLength(a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length) throw new RangeError(`histograms have ${a.length} and ${b.length} bins; they must share bins`);
}

/**
 * Population stability index of `actual` against `expected` (both counts):
 * Σ (a_i − e_i) · ln(a_i / e_i) over smoothed proportions. 0 is identical;
 * common reading: < 0.1 stable, 0.1–0.2 moderate shift, > 0.2 drifted.
 * null when either side has no rows.
 */
export function psi(expected: ArrayLike<number>, actual: ArrayLike<number>, epsilon = PSI_EPSILON): number | null {
  checkSameLength(expected, actual);
  const pe = proportions(expected);
  const pa = proportions(actual);
  if (!pe || !pa) return null;
  const e = smooth(pe, epsilon);
  const a = smooth(pa, epsilon);
  let sum = 0;
  for (let i = 0; i < e.length; i++) sum += (a[i] - e[i]) * Math.log(a[i] / e[i]);
  return sum;
}

/**
 * Jensen–Shannon distance in base 2 (in [0, 1]): the square root of
 * ½·KL(p‖m) + ½·KL(q‖m), m = (p + q)/2, as
 * scipy.spatial.distance.jensenshannon(p, q, base=2). null when either side
 * has no rows.
 */
export function jensenShannon(p: ArrayLike<number>, q: ArrayLike<number>): number | null {
  checkSameLength(p, q);
  const pp = proportions(p);
  const pq = proportions(q);
  if (!pp || !pq) return null;
  let sum = 0;
  for (let i = 0; i < pp.length; i++) {
    const m = (pp[i] + pq[i]) / 2;
    if (pp[i] > 0) sum += pp[i] * Math.log(pp[i] / m);
    if (pq[i] > 0) sum += pq[i] * Math.log(pq[i] / m);
  }
  const divergence = sum / 2 / Math.LN2;
  // rounding can leave a hair below zero for identical inputs
  return Math.sqrt(Math.max(0, divergence));
}
