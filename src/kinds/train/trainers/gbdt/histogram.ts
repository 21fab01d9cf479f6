import type { WasmKernels } from './wasm.js';

/**
 * Gradient/hessian histograms. One histogram holds every feature:
 * `hist[(f * stride + bin) * width + {0: sum of gradients, 1: rows, 2: sum of hessians}]`
 * with `stride` = bins per feature including the missing-value bin. With a
 * constant hessian (squared error) there is no hessian slot: width 2, and
 * the row count stands in for the hessian sum (as scikit-learn does). Width
 * 3 otherwise; `histogramWidth` says which. The feature count is padded to a
 * multiple of four (`histogramSize`); the padding features are never read.
 *
 * The loops take four features per pass over the rows, two rows per
 * iteration: one read of the gradient feeds four independent accumulations,
 * and the four bin codes come from one 32-bit word per row (`packCodes`).
 * A node with few rows (under 1/16 of all) reads them scattered over
 * the whole data, one cache line per row and word; its rows' words are
 * first gathered from the row-major copy (one cache line per row for all
 * features) into node order, then summed like the root's.
 */

/** Bin codes, four features to a word (feature 4w + j in byte j; the last word padded with bin 0), in two layouts. */
export interface Codes {
  /** words per row: ceil(features / 4) */
  words: number;
  /** column-major: `quads[w][row]` */
  quads: Uint32Array[];
  /** row-major: `rowWords[row * ws + w]`, ws = rowStride(words) */
  rowWords: Uint32Array;
  ws: number;
}

/** Words a row takes in `rowWords`: `words` rounded up to a power of two (≤ 16) or a multiple of 16, so a row shares no cache line. */
export function rowStride(words: number): number {
  return words <= 16 ? 2 ** Math.ceil(Math.log2(Math.max(1, words))) : Math.ceil(words / 16) * 16;
}

/** `alloc` makes the arrays (workspace.ts: in the WebAssembly memory). */
export function packCodes(bins: Uint8Array[], alloc: (n: number) => Uint32Array = (n) => new Uint32Array(n)): Codes {
  const n = bins[0]?.length ?? 0;
  const words = Math.ceil(bins.length / 4);
  const ws = rowStride(words);
  const zero = new Uint8Array(n);
  const quads: Uint32Array[] = [];
  const rowWords = alloc(n * ws);
  for (let w = 0; w < words; w++) {
    const [c0, c1, c2, c3] = [0, 1, 2, 3].map((j) => bins[4 * w + j] ?? zero);
    const p = alloc(n);
    for (let i = 0; i < n; i++) p[i] = (c0[i] | (c1[i] << 8) | (c2[i] << 16) | (c3[i] << 24)) >>> 0;
    for (let i = 0; i < n; i++) rowWords[i * ws + w] = p[i];
    quads.push(p);
  }
  return { words, quads, rowWords, ws };
}

/** Doubles per histogram bin: 2 (gradients, rows) with a constant hessian, else 3 (gradients, rows, hessians). */
export function histogramWidth(constantHessian: boolean): number {
  return constantHessian ? 2 : 3;
}

/** Doubles in one histogram of `features` features (padded to a multiple of four). */
export function histogramSize(features: number, stride: number, constantHessian: boolean): number {
  return 4 * Math.ceil(features / 4) * stride * histogramWidth(constantHessian);
}

/** Words of node-order scratch (`cq`) that histogramWords needs for `words` words of n rows. */
export function sparseScratch(n: number, words: number): number {
  return Math.ceil(n / 16) * words;
}

/**
 * The rows `idx[start..end)`, or every row in order when `idx` is null (the
 * root). Gradients are first gathered into node order (`og`, `oh`: scratch
 * of at least end - start) so that the feature loops read them sequentially;
 * `cq`: sparseScratch(rows, codes.words) words.
 */
export function buildHistogram(
  hist: Float64Array, codes: Codes, stride: number, g: Float32Array, h: Float32Array | null,
  idx: Uint32Array | null, start: number, end: number, og: Float32Array, oh: Float32Array, cq: Uint32Array, k: WasmKernels | null = null,
): void {
  hist.fill(0);
  const m = end - start;
  if (idx) gather(g, h, idx, start, m, og, oh, k);
  histogramWords(hist, codes.quads, codes.rowWords, codes.ws, cq, stride * histogramWidth(h === null),
    idx ? og : g, h ? (idx ? oh : h) : null, idx, start, m, 0, codes.words, k);
}

/** Gradients (and hessians) of rows idx[start..start+m) into node order; with `k` (wasm.ts) all in k's memory. */
export function gather(g: Float32Array, h: Float32Array | null, idx: Uint32Array, start: number, m: number, og: Float32Array, oh: Float32Array,
  k: WasmKernels | null): void {
  if (k) {
    k.gather32(g.byteOffset, idx.byteOffset + 4 * start, m, og.byteOffset);
    if (h) k.gather32(h.byteOffset, idx.byteOffset + 4 * start, m, oh.byteOffset);
    return;
  }
  for (let i = 0; i < m; i++) og[i] = g[idx[start + i]];
  if (h) for (let i = 0; i < m; i++) oh[i] = h[idx[start + i]];
}

/**
 * Words [lo, hi) (features 4lo..4hi) of a histogram (`sw`: stride × width,
 * width 3 when `hs` is given, else 2): `gs`/`hs` are the m gradients in node
 * order; rows are idx[start..start+m), or 0..m-1 when idx is null. A sparse
 * node (m < n/16) gathers its words into `cq` (sparseScratch(n, hi - lo)
 * words) first. With `k` (wasm.ts) every array is in k's memory and the
 * WebAssembly loops sum. Also run by histogram threads (parallel.ts), so it
 * and the loops it calls use nothing from outside their own text.
 */
export function histogramWords(hist: Float64Array, quads: Uint32Array[], rowWords: Uint32Array, ws: number, cq: Uint32Array, sw: number,
  gs: Float32Array, hs: Float32Array | null, idx: Uint32Array | null, start: number, m: number, lo: number, hi: number, k: WasmKernels | null): void {
  const sw4 = 4 * sw;
  const sparse = idx !== null && m * 16 < quads[lo].length;
  if (sparse && k) k.gatherWords(rowWords.byteOffset + 4 * lo, 4 * ws, idx.byteOffset + 4 * start, m, hi - lo, cq.byteOffset);
  else if (sparse) gatherWords(rowWords, ws, idx, start, m, lo, hi, cq);
  if (k) {
    const run = idx !== null && !sparse ? (hs ? k.rows3 : k.rows2) : hs ? k.all3 : k.all2;
    const at = idx ? idx.byteOffset + 4 * start : 0;
    for (let w = lo; w < hi; w++) {
      const p = sparse ? cq.byteOffset + 4 * (w - lo) * m : quads[w].byteOffset;
      run(hist.byteOffset + 8 * w * sw4, p, gs.byteOffset, hs ? hs.byteOffset : 0, at, m, 8 * sw);
    }
  } else if (idx === null) {
    for (let w = lo; w < hi; w++) quadAll(hist, quads[w], 0, w * sw4, sw, gs, hs, m);
  } else if (!sparse) {
    for (let w = lo; w < hi; w++) quadRows(hist, quads[w], w * sw4, sw, gs, hs, idx, start, m);
  } else {
    for (let w = lo; w < hi; w++) quadAll(hist, cq, (w - lo) * m, w * sw4, sw, gs, hs, m);
  }
}

/** Words [lo, hi) of rows idx[start..start+m) into node order: `cq[(w - lo) * m + i]`. */
export function gatherWords(rowWords: Uint32Array, ws: number, idx: Uint32Array, start: number, m: number, lo: number, hi: number, cq: Uint32Array): void {
  const k = hi - lo;
  for (let i = 0; i < m; i++) {
    const b = idx[start + i] * ws + lo;
    for (let w = 0; w < k; w++) cq[w * m + i] = rowWords[b + w];
  }
}

/** Four features of m rows in order: codes p[off + i], gradients g[i] (hessians h[i]). */
export function quadAll(hist: Float64Array, p: Uint32Array, off: number, b0: number, sw: number,
  g: Float32Array, h: Float32Array | null, m: number): void {
  const b1 = b0 + sw;
  const b2 = b1 + sw;
  const b3 = b2 + sw;
  const m2 = m & ~1;
  if (h) {
    for (let i = 0; i < m2; i += 2) {
      const ga = g[i]; const ha = h[i]; const a = p[off + i];
      const gb = g[i + 1]; const hb = h[i + 1]; const b = p[off + i + 1];
      let k = b0 + (a & 255) * 3; hist[k] += ga; hist[k + 1]++; hist[k + 2] += ha;
      k = b1 + ((a >>> 8) & 255) * 3; hist[k] += ga; hist[k + 1]++; hist[k + 2] += ha;
      k = b2 + ((a >>> 16) & 255) * 3; hist[k] += ga; hist[k + 1]++; hist[k + 2] += ha;
      k = b3 + (a >>> 24) * 3; hist[k] += ga; hist[k + 1]++; hist[k + 2] += ha;
      k = b0 + (b & 255) * 3; hist[k] += gb; hist[k + 1]++; hist[k + 2] += hb;
      k = b1 + ((b >>> 8) & 255) * 3; hist[k] += gb; hist[k + 1]++; hist[k + 2] += hb;
      k = b2 + ((b >>> 16) & 255) * 3; hist[k] += gb; hist[k + 1]++; hist[k + 2] += hb;
      k = b3 + (b >>> 24) * 3; hist[k] += gb; hist[k + 1]++; hist[k + 2] += hb;
    }
  } else {
    for (let i = 0; i < m2; i += 2) {
      const ga = g[i]; const a = p[off + i];
      const gb = g[i + 1]; const b = p[off + i + 1];
      let k = b0 + (a & 255) * 2; hist[k] += ga; hist[k + 1]++;
      k = b1 + ((a >>> 8) & 255) * 2; hist[k] += ga; hist[k + 1]++;
      k = b2 + ((a >>> 16) & 255) * 2; hist[k] += ga; hist[k + 1]++;
      k = b3 + (a >>> 24) * 2; hist[k] += ga; hist[k + 1]++;
      k = b0 + (b & 255) * 2; hist[k] += gb; hist[k + 1]++;
      k = b1 + ((b >>> 8) & 255) * 2; hist[k] += gb; hist[k + 1]++;
      k = b2 + ((b >>> 16) & 255) * 2; hist[k] += gb; hist[k + 1]++;
      k = b3 + (b >>> 24) * 2; hist[k] += gb; hist[k + 1]++;
    }
  }
  if (m2 < m) quadOne(hist, p[off + m2], b0, sw, g[m2], h ? h[m2] : 0, h !== null);
}

/** Four features of rows idx[start..start+m): codes p[row], gradients g[i] (hessians h[i]) in node order. */
export function quadRows(hist: Float64Array, p: Uint32Array, b0: number, sw: number,
  g: Float32Array, h: Float32Array | null, idx: Uint32Array, start: number, m: number): void {
  const b1 = b0 + sw;
  const b2 = b1 + sw;
  const b3 = b2 + sw;
  const m2 = m & ~1;
  if (h) {
    for (let i = 0; i < m2; i += 2) {
      const ga = g[i]; const ha = h[i]; const a = p[idx[start + i]];
      const gb = g[i + 1]; const hb = h[i + 1]; const b = p[idx[start + i + 1]];
      let k = b0 + (a & 255) * 3; hist[k] += ga; hist[k + 1]++; hist[k + 2] += ha;
      k = b1 + ((a >>> 8) & 255) * 3; hist[k] += ga; hist[k + 1]++; hist[k + 2] += ha;
      k = b2 + ((a >>> 16) & 255) * 3; hist[k] += ga; hist[k + 1]++; hist[k + 2] += ha;
      k = b3 + (a >>> 24) * 3; hist[k] += ga; hist[k + 1]++; hist[k + 2] += ha;
      k = b0 + (b & 255) * 3; hist[k] += gb; hist[k + 1]++; hist[k + 2] += hb;
      k = b1 + ((b >>> 8) & 255) * 3; hist[k] += gb; hist[k + 1]++; hist[k + 2] += hb;
      k = b2 + ((b >>> 16) & 255) * 3; hist[k] += gb; hist[k + 1]++; hist[k + 2] += hb;
      k = b3 + (b >>> 24) * 3; hist[k] += gb; hist[k + 1]++; hist[k + 2] += hb;
    }
  } else {
    for (let i = 0; i < m2; i += 2) {
      const ga = g[i]; const a = p[idx[start + i]];
      const gb = g[i + 1]; const b = p[idx[start + i + 1]];
      let k = b0 + (a & 255) * 2; hist[k] += ga; hist[k + 1]++;
      k = b1 + ((a >>> 8) & 255) * 2; hist[k] += ga; hist[k + 1]++;
      k = b2 + ((a >>> 16) & 255) * 2; hist[k] += ga; hist[k + 1]++;
      k = b3 + (a >>> 24) * 2; hist[k] += ga; hist[k + 1]++;
      k = b0 + (b & 255) * 2; hist[k] += gb; hist[k + 1]++;
      k = b1 + ((b >>> 8) & 255) * 2; hist[k] += gb; hist[k + 1]++;
      k = b2 + ((b >>> 16) & 255) * 2; hist[k] += gb; hist[k + 1]++;
      k = b3 + (b >>> 24) * 2; hist[k] += gb; hist[k + 1]++;
    }
  }
  if (m2 < m) quadOne(hist, p[idx[start + m2]], b0, sw, g[m2], h ? h[m2] : 0, h !== null);
}

/** One row of four features (the odd row after the two-row loops). */
export function quadOne(hist: Float64Array, c: number, b0: number, sw: number, gi: number, hi: number, hasH: boolean): void {
  const w = hasH ? 3 : 2;
  for (let j = 0; j < 4; j++) {
    const k = b0 + j * sw + ((c >>> (8 * j)) & 255) * w;
    hist[k] += gi; hist[k + 1]++;
    if (hasH) hist[k + 2] += hi;
  }
}

/** The subtraction trick: `parent` becomes parent - child, the sibling's histogram. */
export function subtractInto(parent: Float64Array, child: Float64Array): void {
  for (let i = 0; i < parent.length; i++) parent[i] -= child[i];
}
