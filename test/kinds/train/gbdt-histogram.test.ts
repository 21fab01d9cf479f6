import { describe, expect, it } from 'vitest';
import { buildHistogram, histogramSize, histogramWidth, packCodes, sparseScratch } from '../../../src/kinds/train/trainers/gbdt/histogram.js';
import { Workspace } from '../../../src/kinds/train/trainers/gbdt/workspace.js';

/** Per-bin sums the slow way: gradients, rows and (when given) hessians; `features` with the padding. */
function naive(bins: Uint8Array[], features: number, stride: number, g: Float32Array, h: Float32Array | null, rows: number[]): Float64Array {
  const w = histogramWidth(h === null);
  const out = new Float64Array(features * stride * w);
  for (let f = 0; f < features; f++) {
    for (const r of rows) {
      const k = (f * stride + (bins[f]?.[r] ?? 0)) * w;
      out[k] += g[r];
      out[k + 1]++;
      if (h) out[k + 2] += h[r];
    }
  }
  return out;
}

describe('gbdt histograms', () => {
  const n = 501; // odd: the two-row loops have a last row
  const F = 7; // one whole word of four features, three features padded to a second
  const stride = 256;
  const bins = Array.from({ length: F }, (_, j) => Uint8Array.from({ length: n }, (_, i) => (i * (j + 3) * 37 + j) % 256));
  const g = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
  const h = Float32Array.from({ length: n }, (_, i) => 0.1 + Math.abs(Math.cos(i)));
  const codes = packCodes(bins);
  const og = new Float32Array(n);
  const oh = new Float32Array(n);
  const cq = new Uint32Array(sparseScratch(n, codes.words));

  it('packs four features to a word, the first in the low byte, column- and row-major, the last word padded with bin 0', () => {
    expect(codes.words).toBe(2);
    expect(codes.ws).toBe(2);
    for (let i = 0; i < n; i++) {
      for (let f = 0; f < 8; f++) {
        const code = f < F ? bins[f][i] : 0;
        expect((codes.quads[f >> 2][i] >>> (8 * (f & 3))) & 255).toBe(code);
        expect((codes.rowWords[i * codes.ws + (f >> 2)] >>> (8 * (f & 3))) & 255).toBe(code);
      }
    }
  });

  for (const hessian of [false, true]) {
    for (const wasm of [false, true]) {
      it(`${hessian ? 'with' : 'without'} hessians, ${wasm ? 'WebAssembly' : 'JavaScript'} loops: width ${hessian ? 3 : 2}, same sums as one row at a time (root, dense and sparse nodes)`, () => {
        const size = histogramSize(F, stride, !hessian);
        expect(size).toBe(8 * stride * histogramWidth(!hessian));
        // the WebAssembly loops read everything from the workspace's memory
        const ws = wasm ? new Workspace(bins, n, 1, hessian, 1, size) : null;
        if (ws) {
          expect(ws.kernels).not.toBeNull();
          ws.g.set(g);
          ws.h?.set(h);
        }
        const gs = ws ? ws.g : g;
        const hs = hessian ? (ws ? ws.h : h) : null;
        const hist = ws ? ws.slots[0] : new Float64Array(size);
        const run = (idx: Uint32Array | null, start: number, end: number) =>
          ws ? buildHistogram(hist, ws.codes, stride, gs, hs, idx, start, end, ws.og, ws.oh, ws.cq, ws.kernels) : buildHistogram(hist, codes, stride, gs, hs, idx, start, end, og, oh, cq);
        run(null, 0, n);
        expect(Array.from(hist)).toEqual(Array.from(naive(bins, 8, stride, g, hessian ? h : null, Array.from({ length: n }, (_, i) => i))));
        const all = Uint32Array.from({ length: n }, (_, i) => i);
        for (const keep of [(i: number) => i % 3 !== 0, (i: number) => i % 20 === 7]) {
          const idx = all.filter(keep);
          // a node that starts inside the partition
          const part = ws ? ws.idx : new Uint32Array(n);
          part.set([5, 6, ...idx]);
          run(part, 2, idx.length + 2);
          expect(Array.from(hist)).toEqual(Array.from(naive(bins, 8, stride, g, hessian ? h : null, Array.from(idx))));
        }
      });
    }
  }
});
