/**
 * Gradient/hessian histograms. One histogram holds every feature:
 * `hist[(f * stride + bin) * width + {0: sum of gradients, 1: rows, 2: sum of hessians}]`
 * with `stride` = bins per feature including the missing-value bin. With a
 * constant hessian (squared error) there is no hessian slot: width 2, and
 * the row count stands in for the hessian sum (as scikit-learn does). Width
 * 3 otherwise; `histogramWidth` says which.
 *
 * The loops take four features per pass over the rows: one read of the row
 * index and gradient feeds four independent accumulations, and the four bin
 * codes come from one 32-bit word per row (`packQuads`), so a node's sparse
 * rows touch one cache line per row instead of four.
 */

/**
 * Bin codes of features 4q..4q+3 packed into one word per row, feature 4q in
 * the low byte: `quads[q][i]`, for every whole group of four features.
 * `alloc` makes the arrays (shared memory for histogram threads).
 */
export function packQuads(bins: Uint8Array[], alloc: (n: number) => Uint32Array = (n) => new Uint32Array(n)): Uint32Array[] {
  const quads: Uint32Array[] = [];
  for (let f = 0; f + 4 <= bins.length; f += 4) {
    const c0 = bins[f];
    const c1 = bins[f + 1];
    const c2 = bins[f + 2];
    const c3 = bins[f + 3];
    const p = alloc(c0.length);
    for (let i = 0; i < c0.length; i++) p[i] = (c0[i] | (c1[i] << 8) | (c2[i] << 16) | (c3[i] << 24)) >>> 0;
    quads.push(p);
  }
  return quads;
}

/** Doubles per histogram bin: 2 (gradients, rows) with a constant hessian, else 3 (gradients, rows, hessians). */
export function histogramWidth(constantHessian: boolean): number {
  return constantHessian ? 2 : 3;
}

/**
 * The rows `idx[start..end)`, or every row in order when `idx` is null (the
 * root). Gradients are first gathered into node order (`og`, `oh`: scratch
 * of at least end - start) so that the feature loops read them sequentially.
 */
export function buildHistogram(
  hist: Float64Array, bins: Uint8Array[], quads: Uint32Array[], stride: number, g: Float32Array, h: Float32Array | null,
  idx: Uint32Array | null, start: number, end: number, og: Float32Array, oh: Float32Array,
): void {
  hist.fill(0);
  const m = end - start;
  if (idx) gather(g, h, idx, start, m, og, oh);
  histogramFeatures(hist, bins, quads, stride * histogramWidth(h === null), idx ? og : g, h ? (idx ? oh : h) : null, idx, start, m, 0, bins.length);
}

/** Gradients (and hessians) of rows idx[start..start+m) into node order. */
export function gather(g: Float32Array, h: Float32Array | null, idx: Uint32Array, start: number, m: number, og: Float32Array, oh: Float32Array): void {
  for (let i = 0; i < m; i++) og[i] = g[idx[start + i]];
  if (h) for (let i = 0; i < m; i++) oh[i] = h[idx[start + i]];
}

/**
 * Features [lo, hi) of a histogram (`sw`: stride × width, width 3 when
 * `hs` is given, else 2): `gs`/`hs` are the m gradients in node
 * order; rows are idx[start..start+m), or 0..m-1 when idx is null; `quads`
 * from packQuads(bins), and `lo` a multiple of 4. Also run
 * by histogram threads (parallel.ts), so it and the loops it calls use
 * nothing from outside their own text.
 */
export function histogramFeatures(hist: Float64Array, bins: Uint8Array[], quads: Uint32Array[], sw: number, gs: Float32Array, hs: Float32Array | null,
  idx: Uint32Array | null, start: number, m: number, lo: number, hi: number): void {
  let f = lo;
  for (; f + 4 <= hi; f += 4) {
    if (idx) quadRows(hist, quads[f >> 2], f * sw, sw, gs, hs, idx, start, m);
    else quadAll(hist, quads[f >> 2], f * sw, sw, gs, hs, m);
  }
  for (; f < hi; f++) {
    if (idx) oneRows(hist, bins[f], f * sw, gs, hs, idx, start, m);
    else oneAll(hist, bins[f], f * sw, gs, hs, m);
  }
}

export function quadAll(hist: Float64Array, p: Uint32Array, b0: number, sw: number,
  g: Float32Array, h: Float32Array | null, m: number): void {
  const b1 = b0 + sw;
  const b2 = b1 + sw;
  const b3 = b2 + sw;
  if (h) {
    for (let i = 0; i < m; i++) {
      const gi = g[i];
      const hi = h[i];
      const c = p[i];
      const k0 = b0 + (c & 255) * 3; hist[k0] += gi; hist[k0 + 1]++; hist[k0 + 2] += hi;
      const k1 = b1 + ((c >>> 8) & 255) * 3; hist[k1] += gi; hist[k1 + 1]++; hist[k1 + 2] += hi;
      const k2 = b2 + ((c >>> 16) & 255) * 3; hist[k2] += gi; hist[k2 + 1]++; hist[k2 + 2] += hi;
      const k3 = b3 + (c >>> 24) * 3; hist[k3] += gi; hist[k3 + 1]++; hist[k3 + 2] += hi;
    }
  } else {
    for (let i = 0; i < m; i++) {
      const gi = g[i];
      const c = p[i];
      const k0 = b0 + (c & 255) * 2; hist[k0] += gi; hist[k0 + 1]++;
      const k1 = b1 + ((c >>> 8) & 255) * 2; hist[k1] += gi; hist[k1 + 1]++;
      const k2 = b2 + ((c >>> 16) & 255) * 2; hist[k2] += gi; hist[k2 + 1]++;
      const k3 = b3 + (c >>> 24) * 2; hist[k3] += gi; hist[k3 + 1]++;
    }
  }
}

export function quadRows(hist: Float64Array, p: Uint32Array, b0: number, sw: number,
  g: Float32Array, h: Float32Array | null, idx: Uint32Array, start: number, m: number): void {
  const b1 = b0 + sw;
  const b2 = b1 + sw;
  const b3 = b2 + sw;
  if (h) {
    for (let i = 0; i < m; i++) {
      const r = idx[start + i];
      const gi = g[i];
      const hi = h[i];
      const c = p[r];
      const k0 = b0 + (c & 255) * 3; hist[k0] += gi; hist[k0 + 1]++; hist[k0 + 2] += hi;
      const k1 = b1 + ((c >>> 8) & 255) * 3; hist[k1] += gi; hist[k1 + 1]++; hist[k1 + 2] += hi;
      const k2 = b2 + ((c >>> 16) & 255) * 3; hist[k2] += gi; hist[k2 + 1]++; hist[k2 + 2] += hi;
      const k3 = b3 + (c >>> 24) * 3; hist[k3] += gi; hist[k3 + 1]++; hist[k3 + 2] += hi;
    }
  } else {
    for (let i = 0; i < m; i++) {
      const r = idx[start + i];
      const gi = g[i];
      const c = p[r];
      const k0 = b0 + (c & 255) * 2; hist[k0] += gi; hist[k0 + 1]++;
      const k1 = b1 + ((c >>> 8) & 255) * 2; hist[k1] += gi; hist[k1 + 1]++;
      const k2 = b2 + ((c >>> 16) & 255) * 2; hist[k2] += gi; hist[k2 + 1]++;
      const k3 = b3 + (c >>> 24) * 2; hist[k3] += gi; hist[k3 + 1]++;
    }
  }
}

export function oneAll(hist: Float64Array, c: Uint8Array, b: number, g: Float32Array, h: Float32Array | null, m: number): void {
  if (h) {
    for (let i = 0; i < m; i++) {
      const k = b + c[i] * 3;
      hist[k] += g[i]; hist[k + 1]++; hist[k + 2] += h[i];
    }
  } else {
    for (let i = 0; i < m; i++) {
      const k = b + c[i] * 2;
      hist[k] += g[i]; hist[k + 1]++;
    }
  }
}

export function oneRows(hist: Float64Array, c: Uint8Array, b: number, g: Float32Array, h: Float32Array | null, idx: Uint32Array, start: number, m: number): void {
  if (h) {
    for (let i = 0; i < m; i++) {
      const k = b + c[idx[start + i]] * 3;
      hist[k] += g[i]; hist[k + 1]++; hist[k + 2] += h[i];
    }
  } else {
    for (let i = 0; i < m; i++) {
      const k = b + c[idx[start + i]] * 2;
      hist[k] += g[i]; hist[k + 1]++;
    }
  }
}

/** The subtraction trick: `parent` becomes parent - child, the sibling's histogram. */
export function subtractInto(parent: Float64Array, child: Float64Array): void {
  for (let i = 0; i < parent.length; i++) parent[i] -= child[i];
}
