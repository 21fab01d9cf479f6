/**
 * Limited-memory BFGS (Nocedal & Wright, Numerical Optimization, 2nd ed.,
 * algorithms 7.4, 3.5 and 3.6): the two-loop recursion for the direction and
 * a line search under the strong Wolfe conditions. Stops, like scipy's
 * L-BFGS-B as scikit-learn calls it, when the gradient's largest component is
 * at most `gtol` or the relative decrease of f is at most `ftol`.
 */

/** Writes ∇f(x) into `grad` and returns f(x). */
export type Objective = (x: Float64Array, grad: Float64Array) => number;

export interface LbfgsOptions {
  maxIter: number;
  /** stop when gradientNorm(∇f) ≤ gtol */
  gtol: number;
  /** stop when (f_k − f_{k+1}) / max(|f_k|, |f_{k+1}|, 1) ≤ ftol. @defaultValue 2.220446049250313e-9 (scipy's factr 1e7 × eps) */
  ftol?: number;
  /** correction pairs kept. @defaultValue 10 (scipy's maxcor) */
  memory?: number;
  /** the norm tested against gtol. @defaultValue the largest absolute component */
  gradientNorm?: (grad: Float64Array) => number;
  /** called after each iteration */
  onIteration?: (iteration: number, f: number) => void;
}

export interface LbfgsResult {
  x: Float64Array;
  f: number;
  iterations: number;
  evaluations: number;
  converged: boolean;
  message: string;
}

const C1 = 1e-4; // sufficient decrease
const C2 = 0.9; // curvature, the usual value for quasi-Newton methods
const MAX_LINE_EVALS = 40;

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function maxAbs(g: Float64Array): number {
  let m = 0;
  for (let i = 0; i < g.length; i++) m = Math.max(m, Math.abs(g[i]));
  return m;
}

/** the minimizer of the cubic through (a, fa, da) and (b, fb, db), kept inside the interval's middle 80% */
function interpolate(a: number, fa: number, da: number, b: number, fb: number, db: number): number {
  const lo = Math.min(a, b);
  const hi = Math.max(a, b);
  const d1 = da + db - (3 * (fa - fb)) / (a - b);
  const disc = d1 * d1 - da * db;
  let t = (a + b) / 2;
  if (disc >= 0) {
    const d2 = Math.sign(b - a) * Math.sqrt(disc);
    const c = b - ((b - a) * (db + d2 - d1)) / (db - da + 2 * d2);
    if (Number.isFinite(c)) t = c;
  }
  const margin = 0.1 * (hi - lo);
  return Math.min(hi - margin, Math.max(lo + margin, t));
}

class LineSearch {
  evaluations = 0;
  constructor(
    private readonly fg: Objective,
    private readonly x: Float64Array,
    private readonly d: Float64Array,
    readonly xNew: Float64Array,
    readonly gNew: Float64Array,
  ) {}

  private phi(a: number): [number, number] {
    for (let i = 0; i < this.x.length; i++) this.xNew[i] = this.x[i] + a * this.d[i];
    this.evaluations++;
    const f = this.fg(this.xNew, this.gNew);
    return [f, dot(this.gNew, this.d)];
  }

  /** a step meeting the strong Wolfe conditions, its f in `.f` and x, ∇f in xNew, gNew; NaN when none was found */
  f = NaN;
  search(f0: number, dphi0: number, step: number): number {
    let aPrev = 0;
    let fPrev = f0;
    let dPrev = dphi0;
    let a = step;
    for (let i = 0; i < MAX_LINE_EVALS; i++) {
      const [fa, da] = this.phi(a);
      if (!Number.isFinite(fa) || fa > f0 + C1 * a * dphi0 || (i > 0 && fa >= fPrev)) {
        if (!Number.isFinite(fa)) return this.zoom(f0, dphi0, aPrev, fPrev, dPrev, a, Infinity, NaN);
        return this.zoom(f0, dphi0, aPrev, fPrev, dPrev, a, fa, da);
      }
      if (Math.abs(da) <= -C2 * dphi0) return this.accept(a, fa);
      if (da >= 0) return this.zoom(f0, dphi0, a, fa, da, aPrev, fPrev, dPrev);
      aPrev = a;
      fPrev = fa;
      dPrev = da;
      a *= 4;
    }
    return NaN;
  }

  private accept(a: number, f: number): number {
    this.f = f;
    return a;
  }

  private zoom(f0: number, dphi0: number, lo: number, flo: number, dlo: number, hi: number, fhi: number, dhi: number): number {
    let lastA = NaN;
    while (this.evaluations < MAX_LINE_EVALS) {
      const a = Number.isFinite(fhi) && Number.isFinite(dhi) ? interpolate(lo, flo, dlo, hi, fhi, dhi) : (lo + hi) / 2;
      if (Math.abs(hi - lo) <= 1e-16 * Math.max(1, Math.abs(lo))) break;
      const [fa, da] = this.phi(a);
      lastA = a;
      if (!Number.isFinite(fa) || fa > f0 + C1 * a * dphi0 || fa >= flo) {
        hi = a;
        fhi = Number.isFinite(fa) ? fa : Infinity;
        dhi = da;
        continue;
      }
      if (Math.abs(da) <= -C2 * dphi0) return this.accept(a, fa);
      if (da * (hi - lo) >= 0) {
        hi = lo;
        fhi = flo;
        dhi = dlo;
      }
      lo = a;
      flo = fa;
      dlo = da;
    }
    // out of evaluations: the best point seen still decreases f
    if (lo > 0) {
      if (lastA !== lo) this.phi(lo);
      return this.accept(lo, flo);
    }
    return NaN;
  }
}

export function minimizeLbfgs(fg: Objective, x0: Float64Array, o: LbfgsOptions): LbfgsResult {
  const n = x0.length;
  const m = o.memory ?? 10;
  const ftol = o.ftol ?? 2.220446049250313e-9;
  const norm = o.gradientNorm ?? maxAbs;
  let x: Float64Array = Float64Array.from(x0);
  let g: Float64Array = new Float64Array(n);
  let f = fg(x, g);
  let evaluations = 1;
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const alpha = new Float64Array(m);
  const d = new Float64Array(n);
  const done = (iterations: number, converged: boolean, message: string): LbfgsResult =>
    ({ x, f, iterations, evaluations, converged, message });
  if (!Number.isFinite(f)) return done(0, false, 'the objective is not finite at the start');
  if (norm(g) <= o.gtol) return done(0, true, 'gradient below gtol');

  for (let iter = 1; iter <= o.maxIter; iter++) {
    // two-loop recursion: d = −H g
    for (let i = 0; i < n; i++) d[i] = -g[i];
    for (let k = S.length - 1; k >= 0; k--) {
      alpha[k] = rho[k] * dot(S[k], d);
      const y = Y[k];
      for (let i = 0; i < n; i++) d[i] -= alpha[k] * y[i];
    }
    if (S.length > 0) {
      const last = S.length - 1;
      const gamma = dot(S[last], Y[last]) / dot(Y[last], Y[last]);
      for (let i = 0; i < n; i++) d[i] *= gamma;
    }
    for (let k = 0; k < S.length; k++) {
      const beta = rho[k] * dot(Y[k], d);
      const s = S[k];
      for (let i = 0; i < n; i++) d[i] += (alpha[k] - beta) * s[i];
    }
    let dphi0 = dot(g, d);
    if (!(dphi0 < 0)) {
      // not a descent direction (rounding): restart from steepest descent
      S.length = Y.length = rho.length = 0;
      for (let i = 0; i < n; i++) d[i] = -g[i];
      dphi0 = dot(g, d);
    }
    const step = S.length === 0 ? Math.min(1, 1 / Math.sqrt(-dphi0)) : 1;
    const ls = new LineSearch(fg, x, d, new Float64Array(n), new Float64Array(n));
    const a = ls.search(f, dphi0, step);
    evaluations += ls.evaluations;
    if (Number.isNaN(a)) {
      if (S.length === 0) return done(iter - 1, false, 'the line search found no decrease');
      S.length = Y.length = rho.length = 0;
      iter--;
      continue;
    }
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = ls.xNew[i] - x[i];
      y[i] = ls.gNew[i] - g[i];
    }
    const sy = dot(s, y);
    if (sy > 1e-10 * dot(y, y)) {
      if (S.length === m) {
        S.shift();
        Y.shift();
        rho.shift();
      }
      S.push(s);
      Y.push(y);
      rho.push(1 / sy);
    }
    const fPrev = f;
    x = ls.xNew;
    g = ls.gNew;
    f = ls.f;
    o.onIteration?.(iter, f);
    if (norm(g) <= o.gtol) return done(iter, true, 'gradient below gtol');
    if ((fPrev - f) / Math.max(Math.abs(fPrev), Math.abs(f), 1) <= ftol) return done(iter, true, 'relative reduction of f below ftol');
  }
  return done(o.maxIter, false, `not converged in maxIter=${o.maxIter} iterations`);
}
