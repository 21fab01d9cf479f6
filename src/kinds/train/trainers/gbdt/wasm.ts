/**
 * The histogram loops of histogram.ts (quadAll, quadRows) in WebAssembly:
 * the same sums in the same order (float32 gradients widened to float64,
 * rows in node order), so the histograms are bit-identical, at about half
 * the time of V8's code for the JavaScript loops (no bounds check per
 * access). Every array they read or write lives in one WebAssembly.Memory
 * (arena.ts) and is passed by byte address.
 *
 * The module is emitted below byte by byte (no toolchain; the opcodes are
 * named where they are used) once per process and compiled once; histogram
 * threads instantiate the same module over the same shared memory.
 *
 * Exports (byte addresses, counts, strides in bytes):
 * - `all2`, `all3`, `rows2`, `rows3` `(hist, p, g, h, idx, m, sw)`: hist =
 *   the histogram at the first of four features (sw bytes apart); m rows;
 *   for row i the codes word is p[i] (`all*`) or p[idx[i]] (`rows*`), its
 *   gradient g[i] (and hessian h[i] for width 3);
 * - `gather32(src, idx, m, dst)`: dst[i] = src[idx[i]], 32-bit words;
 * - `gatherWords(rows, rowBytes, idx, m, k, cq)`: cq[w * m + i] = word w of
 *   row idx[i] (at rows + idx[i] * rowBytes) for w < k.
 */

import { baseOps, I32, name, section, uleb, vec } from '../../../../wasm/encoding.js';

export interface WasmKernels {
  all2: Kernel;
  all3: Kernel;
  rows2: Kernel;
  rows3: Kernel;
  gather32: (src: number, idx: number, m: number, dst: number) => void;
  gatherWords: (rows: number, rowBytes: number, idx: number, m: number, k: number, cq: number) => void;
}
type Kernel = (hist: number, p: number, g: number, h: number, idx: number, m: number, sw: number) => void;

const F64 = 0x7c;

const op = {
  ...baseOps,
  f64One: [0x44, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f],
  // memarg: alignment exponent, offset
  i32Load: (offset: number) => [0x28, 2, ...uleb(offset)],
  i32Store: (offset: number) => [0x36, 2, ...uleb(offset)],
  f32Load: (offset: number) => [0x2a, 2, ...uleb(offset)],
  f64Load: (offset: number) => [0x2b, 3, ...uleb(offset)],
  f64Store: (offset: number) => [0x39, 3, ...uleb(offset)],
  i32And: [0x71],
  i32Shl: [0x74],
  i32ShrU: [0x76],
  f64Add: [0xa0],
  f64PromoteF32: [0xbb],
};

/** One kernel: `width` doubles a bin (2 or 3); codes read through idx when `rows`. */
function kernelBody(width: 2 | 3, rows: boolean): number[] {
  // params 0..6: hist, p, g, h, idx, m, sw; locals: end, c, k (i32), gi, hi (f64)
  const HIST = 0, P = 1, G = 2, H = 3, IDX = 4, M = 5, SW = 6, END = 7, C = 8, K = 9, GI = 10, HI = 11;
  const cursor = rows ? IDX : P; // the pointer that walks the rows
  const code: number[] = [];
  code.push(...op.get(cursor), ...op.get(M), ...op.i32Const(2), ...op.i32Shl, ...op.i32Add, ...op.set(END));
  code.push(...op.block, ...op.loop);
  code.push(...op.get(cursor), ...op.get(END), ...op.i32GeU, ...op.brIf(1));
  if (rows) code.push(...op.get(P), ...op.get(IDX), ...op.i32Load(0), ...op.i32Const(2), ...op.i32Shl, ...op.i32Add, ...op.i32Load(0), ...op.set(C));
  else code.push(...op.get(P), ...op.i32Load(0), ...op.set(C));
  code.push(...op.get(G), ...op.f32Load(0), ...op.f64PromoteF32, ...op.set(GI));
  if (width === 3) code.push(...op.get(H), ...op.f32Load(0), ...op.f64PromoteF32, ...op.set(HI));
  for (let j = 0; j < 4; j++) {
    // k = hist + j*sw + ((c >>> 8j) & 255) * 8 * width
    code.push(...op.get(C));
    if (j > 0) code.push(...op.i32Const(8 * j), ...op.i32ShrU);
    if (j < 3) code.push(...op.i32Const(255), ...op.i32And);
    code.push(...op.i32Const(8 * width), ...op.i32Mul, ...op.get(HIST), ...op.i32Add);
    if (j > 0) code.push(...op.get(SW), ...op.i32Const(j), ...op.i32Mul, ...op.i32Add);
    code.push(...op.set(K));
    const bump = (offset: number, value: number[]) =>
      code.push(...op.get(K), ...op.get(K), ...op.f64Load(offset), ...value, ...op.f64Add, ...op.f64Store(offset));
    bump(0, op.get(GI));
    bump(8, op.f64One);
    if (width === 3) bump(16, op.get(HI));
  }
  code.push(...op.get(cursor), ...op.i32Const(4), ...op.i32Add, ...op.set(cursor));
  code.push(...op.get(G), ...op.i32Const(4), ...op.i32Add, ...op.set(G));
  if (width === 3) code.push(...op.get(H), ...op.i32Const(4), ...op.i32Add, ...op.set(H));
  code.push(...op.br(0), ...op.end, ...op.end, ...op.end);
  const body = [...vec([[3, I32], [2, F64]]), ...code];
  return [...uleb(body.length), ...body];
}

/** gather32(src, idx, m, dst) */
function gather32Body(): number[] {
  const SRC = 0, IDX = 1, M = 2, DST = 3, END = 4;
  const code = [
    ...op.get(IDX), ...op.get(M), ...op.i32Const(2), ...op.i32Shl, ...op.i32Add, ...op.set(END),
    ...op.block, ...op.loop,
    ...op.get(IDX), ...op.get(END), ...op.i32GeU, ...op.brIf(1),
    ...op.get(DST), ...op.get(SRC), ...op.get(IDX), ...op.i32Load(0), ...op.i32Const(2), ...op.i32Shl, ...op.i32Add, ...op.i32Load(0), ...op.i32Store(0),
    ...op.get(IDX), ...op.i32Const(4), ...op.i32Add, ...op.set(IDX),
    ...op.get(DST), ...op.i32Const(4), ...op.i32Add, ...op.set(DST),
    ...op.br(0), ...op.end, ...op.end, ...op.end,
  ];
  const body = [...vec([[1, I32]]), ...code];
  return [...uleb(body.length), ...body];
}

/** gatherWords(rows, rowBytes, idx, m, k, cq) */
function gatherWordsBody(): number[] {
  const ROWS = 0, ROW_BYTES = 1, IDX = 2, M = 3, K = 4, CQ = 5, END = 6, B = 7, Q = 8, B_END = 9, M4 = 10;
  const code = [
    ...op.get(M), ...op.i32Const(2), ...op.i32Shl, ...op.set(M4),
    ...op.get(IDX), ...op.get(M4), ...op.i32Add, ...op.set(END),
    ...op.block, ...op.loop,
    ...op.get(IDX), ...op.get(END), ...op.i32GeU, ...op.brIf(1),
    ...op.get(ROWS), ...op.get(IDX), ...op.i32Load(0), ...op.get(ROW_BYTES), ...op.i32Mul, ...op.i32Add, ...op.set(B),
    ...op.get(B), ...op.get(K), ...op.i32Const(2), ...op.i32Shl, ...op.i32Add, ...op.set(B_END),
    ...op.get(CQ), ...op.set(Q),
    ...op.block, ...op.loop,
    ...op.get(B), ...op.get(B_END), ...op.i32GeU, ...op.brIf(1),
    ...op.get(Q), ...op.get(B), ...op.i32Load(0), ...op.i32Store(0),
    ...op.get(B), ...op.i32Const(4), ...op.i32Add, ...op.set(B),
    ...op.get(Q), ...op.get(M4), ...op.i32Add, ...op.set(Q),
    ...op.br(0), ...op.end, ...op.end,
    ...op.get(IDX), ...op.i32Const(4), ...op.i32Add, ...op.set(IDX),
    ...op.get(CQ), ...op.i32Const(4), ...op.i32Add, ...op.set(CQ),
    ...op.br(0), ...op.end, ...op.end, ...op.end,
  ];
  const body = [...vec([[5, I32]]), ...code];
  return [...uleb(body.length), ...body];
}

/** name, parameter count (all i32, no result), body */
const EXPORTS: Array<[keyof WasmKernels, number, number[]]> = [
  ['all2', 7, kernelBody(2, false)], ['all3', 7, kernelBody(3, false)], ['rows2', 7, kernelBody(2, true)], ['rows3', 7, kernelBody(3, true)],
  ['gather32', 4, gather32Body()], ['gatherWords', 6, gatherWordsBody()],
];

/** The module's bytes: imports memory `e.m`, exports the four kernels. */
export function histogramModuleBytes(): Uint8Array<ArrayBuffer> {
  // one function type per export: (i32 × count) -> ()
  const types = EXPORTS.map(([, count]) => [0x60, ...vec(Array.from({ length: count }, () => [I32])), 0]);
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    // memory import, shared (limits flag 3: min 0, max 65536 pages), so histogram threads share it
    ...section(2, vec([[...name('e'), ...name('m'), 0x02, 0x03, ...uleb(0), ...uleb(65536)]])),
    ...section(3, vec(EXPORTS.map((_, i) => uleb(i)))),
    ...section(7, vec(EXPORTS.map(([n], i) => [...name(n), 0x00, ...uleb(i)]))),
    ...section(10, vec(EXPORTS.map(([, , body]) => body))),
  ]);
}

let compiled: WebAssembly.Module | null = null;

/** The compiled module, once per process; null where WebAssembly is not available. */
export function histogramModule(): WebAssembly.Module | null {
  if (compiled === null && typeof WebAssembly === 'object') compiled = new WebAssembly.Module(histogramModuleBytes());
  return compiled;
}

/** The kernels over `memory` (shared; its byte addresses are those of the arena's arrays). */
export function histogramKernels(module: WebAssembly.Module, memory: WebAssembly.Memory): WasmKernels {
  return new WebAssembly.Instance(module, { e: { m: memory } }).exports as unknown as WasmKernels;
}
