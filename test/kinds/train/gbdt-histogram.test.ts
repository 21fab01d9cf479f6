import { describe, expect, it } from 'vitest';
import { buildHistogram, histogramWidth, packQuads } from '../../../src/kinds/train/trainers/gbdt/histogram.js';

/** Per-bin sums the slow way: gradients, rows and (when given) hessians. */
function naive(bins: Uint8Array[], stride: number, g: Float32Array, h: Float32Array | null, rows: number[]): Float64Array {
  const w = histogramWidth(h === null);
  const out = new Float64Array(bins.length * stride * w);
  bins.forEach((col, f) => {
    for (const r of rows) {
      const k = (f * stride + col[r]) * w;
      out[k] += g[r];
      out[k + 1]++;
      if (h) out[k + 2] += h[r];
    }
  });
  return out;
}

describe('gbdt histograms', () => {
  const n = 500;
  const F = 7; // one whole group of four features, three features after it
  const stride = 256;
  const bins = Array.from({ length: F }, (_, j) => Uint8Array.from({ length: n }, (_, i) => (i * (j + 3) * 37 + j) % 256));
  const g = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
  const h = Float32Array.from({ length: n }, (_, i) => 0.1 + Math.abs(Math.cos(i)));
  const quads = packQuads(bins);
  const idx = Uint32Array.from({ length: n }, (_, i) => i).filter((i) => i % 3 !== 0);
  const og = new Float32Array(n);
  const oh = new Float32Array(n);

  it('packs four features to a word, the first in the low byte', () => {
    expect(quads.length).toBe(1);
    for (let i = 0; i < n; i++) for (let b = 0; b < 4; b++) expect((quads[0][i] >>> (8 * b)) & 255).toBe(bins[b][i]);
  });

  for (const hessian of [false, true]) {
    it(`${hessian ? 'with' : 'without'} hessians: width ${hessian ? 3 : 2}, same sums as one row at a time`, () => {
      const hs = hessian ? h : null;
      const size = F * stride * histogramWidth(!hessian);
      const hist = new Float64Array(size);
      buildHistogram(hist, bins, quads, stride, g, hs, null, 0, n, og, oh);
      expect(Array.from(hist)).toEqual(Array.from(naive(bins, stride, g, hs, Array.from({ length: n }, (_, i) => i))));
      buildHistogram(hist, bins, quads, stride, g, hs, idx, 0, idx.length, og, oh);
      expect(Array.from(hist)).toEqual(Array.from(naive(bins, stride, g, hs, Array.from(idx))));
    });
  }
});
