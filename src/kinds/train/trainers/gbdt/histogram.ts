/**
 * Gradient/hessian histograms. One histogram holds every feature:
 * `hist[(f * stride + bin) * 3 + {0: sum of gradients, 1: sum of hessians, 2: rows}]`
 * with `stride` = bins per feature including the missing-value bin. With a
 * constant hessian the hessian slot stays 0 and the row count stands in.
 */

/** The root: every row, in row order. */
export function histogramAll(hist: Float64Array, bins: Uint8Array[], stride: number, g: Float32Array, h: Float32Array | null, n: number): void {
  hist.fill(0);
  for (let f = 0; f < bins.length; f++) {
    const col = bins[f];
    const base = f * stride * 3;
    if (h) {
      for (let i = 0; i < n; i++) {
        const k = base + col[i] * 3;
        hist[k] += g[i];
        hist[k + 1] += h[i];
        hist[k + 2] += 1;
      }
    } else {
      for (let i = 0; i < n; i++) {
        const k = base + col[i] * 3;
        hist[k] += g[i];
        hist[k + 2] += 1;
      }
    }
  }
}

/**
 * The rows `idx[start..end)`. Gradients are first gathered into node order
 * (`og`, `oh`: scratch of at least end - start) so that the per-feature loops
 * read them sequentially.
 */
export function histogramRows(
  hist: Float64Array, bins: Uint8Array[], stride: number, g: Float32Array, h: Float32Array | null,
  idx: Uint32Array, start: number, end: number, og: Float32Array, oh: Float32Array,
): void {
  hist.fill(0);
  const m = end - start;
  for (let i = 0; i < m; i++) og[i] = g[idx[start + i]];
  if (h) for (let i = 0; i < m; i++) oh[i] = h[idx[start + i]];
  for (let f = 0; f < bins.length; f++) {
    const col = bins[f];
    const base = f * stride * 3;
    if (h) {
      for (let i = 0; i < m; i++) {
        const k = base + col[idx[start + i]] * 3;
        hist[k] += og[i];
        hist[k + 1] += oh[i];
        hist[k + 2] += 1;
      }
    } else {
      for (let i = 0; i < m; i++) {
        const k = base + col[idx[start + i]] * 3;
        hist[k] += og[i];
        hist[k + 2] += 1;
      }
    }
  }
}

/** The subtraction trick: `parent` becomes parent - child, the sibling's histogram. */
export function subtractInto(parent: Float64Array, child: Float64Array): void {
  for (let i = 0; i < parent.length; i++) parent[i] -= child[i];
}
