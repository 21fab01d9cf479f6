/**
 * The drift histograms' hot loop in WebAssembly SIMD: float32 values four at
 * a time (float64 two at a time) compared against every bin edge, one
 * vector accumulator per edge, no per-value store and no data-dependent
 * branch. For edges e_0 < … < e_{E-1} and values x it counts, per lane,
 * ok = #(x is not NaN) and g_i = #(x ≥ e_i); the left-closed bins are then
 * ok − g_0, g_0 − g_1, …, g_{E-1} (NaN ≥ e is false, so NaN is in none).
 *
 * The module is emitted below byte by byte (no toolchain: the opcodes are
 * named where they are used), one function per edge count 0..MAX_SIMD_EDGES
 * and lane type, and compiled once per thread on first use.
 *
 * Lanes are columns: a contiguous column uses the same edges in every lane
 * (then the lanes are summed); a row-major [rows, k] matrix of scores
 * compares columns j..j+3 of each row against their own edges, reading the
 * matrix in place, so model outputs need no de-interleaving.
 *
 * Where the optional native addon (native/simd-bins: AVX-512, else AVX2) is
 * built and the CPU has AVX2, contiguous columns and the argmax of
 * column-major outputs are counted by it instead, reading any typed array
 * where it is (no copy into this module's memory): the same counts.
 */
import { createRequire } from 'node:module';
import { driftKernelSetting } from '../env-settings.js';
import { baseOps, I32, name, section, uleb, vec } from '../wasm/encoding.js';
import { SIMD_BINS_WASM_BASE64 } from './simd-bins-wasm.js';

/** Most inner edges a kernel takes (16 bins); more fall back to the scalar binary search. */
export const MAX_SIMD_EDGES = 15;

// ---- the emitter (encoding helpers: src/wasm/encoding.ts) ---------------

const V128 = 0x7b;

const op = {
  ...baseOps,
  // SIMD: prefix 0xfd, then the opcode as an unsigned LEB128
  simd: (code: number) => [0xfd, ...uleb(code)],
  /** v128.load / v128.store with memarg {align 2^0, offset} */
  v128Load: (offset: number) => [0xfd, 0x00, 0x00, ...uleb(offset)],
  v128Store: (offset: number) => [0xfd, 0x0b, 0x00, ...uleb(offset)],
};
const F32X4_EQ = 0x41;
const F32X4_GE = 0x46;
const F64X2_EQ = 0x47;
const F64X2_GE = 0x4c;
const I32X4_SUB = 0xb1;
const I64X2_SUB = 0xd1;

/**
 * count(p, n, stride, edges, out): for v = the 16 bytes at p, p + stride, …
 * (n of them): ok −= (v == v), g_i −= (v ≥ edge_i) lane-wise (a true
 * comparison is all ones, −1); then stores ok, g_0, …, g_{E-1} at out,
 * 16 bytes each. edge_i is the 16 bytes at edges + 16·i.
 */
function countBody(lanes: 'f32' | 'f64', edges: number, unroll = 1): number[] {
  const [EQ, GE, SUB] = lanes === 'f32' ? [F32X4_EQ, F32X4_GE, I32X4_SUB] : [F64X2_EQ, F64X2_GE, I64X2_SUB];
  // params 0..4: p, n, stride, edges, out; locals: end (i32), v_u…, ok, e_i…, g_i… (v128)
  const P = 0, N = 1, STRIDE = 2, EDGES = 3, OUT = 4, END = 5;
  const V = (u: number) => 6 + u;
  const OK = 6 + unroll;
  const e = (i: number) => 7 + unroll + i;
  const g = (i: number) => 7 + unroll + edges + i;
  const code: number[] = [];
  for (let i = 0; i < edges; i++) code.push(...op.get(EDGES), ...op.v128Load(16 * i), ...op.set(e(i)));
  code.push(...op.get(P), ...op.get(N), ...op.get(STRIDE), ...op.i32Mul, ...op.i32Add, ...op.set(END));
  code.push(...op.block, ...op.loop);
  code.push(...op.get(P), ...op.get(END), ...op.i32GeU, ...op.brIf(1));
  for (let u = 0; u < unroll; u++) code.push(...op.get(P), ...op.v128Load(16 * u), ...op.set(V(u)));
  for (let u = 0; u < unroll; u++) code.push(...op.get(OK), ...op.get(V(u)), ...op.get(V(u)), ...op.simd(EQ), ...op.simd(SUB), ...op.set(OK));
  for (let i = 0; i < edges; i++) {
    for (let u = 0; u < unroll; u++) code.push(...op.get(g(i)), ...op.get(V(u)), ...op.get(e(i)), ...op.simd(GE), ...op.simd(SUB), ...op.set(g(i)));
  }
  if (unroll === 1) code.push(...op.get(P), ...op.get(STRIDE), ...op.i32Add, ...op.set(P), ...op.br(0));
  else code.push(...op.get(P), ...op.i32Const(16 * unroll), ...op.i32Add, ...op.set(P), ...op.br(0)); // contiguous: stride 16
  code.push(...op.end, ...op.end);
  code.push(...op.get(OUT), ...op.get(OK), ...op.v128Store(0));
  for (let i = 0; i < edges; i++) code.push(...op.get(OUT), ...op.get(g(i)), ...op.v128Store(16 * (i + 1)));
  code.push(...op.end);
  const locals = vec([[1, I32], [...uleb(unroll + 1 + 2 * edges), V128]]);
  const body = [...locals, ...code];
  return [...uleb(body.length), ...body];
}

/**
 * argmax(p, rows, k, out): for each row of a row-major [rows, k] matrix at p,
 * the class j = the first column with the greatest value, exactly as
 * columns.ts argmax decides it (a column replaces the best when it is greater
 * or the best so far is NaN), then adds 1 to the i32 at out + 4·j.
 * Rows go four (float64: two) at a time, one per vector lane, gathered
 * column by column: the lanes are independent chains of compare-and-select,
 * so no row waits on another; the last rows (fewer than the lanes) go one at
 * a time with scalar `select`.
 */
/**
 * One step of a scalar argmax, the same in both argmax functions:
 * t = (v > bv) | (bv != bv), then bv = t ? v : bv and best = t ? j : best
 * (a NaN best so far is replaced). Locals by index.
 */
function argmaxStep(lanes: 'f32' | 'f64', l: { v: number; bv: number; j: number; best: number; t: number }): number[] {
  const [GT, NE] = lanes === 'f32' ? [0x5e, 0x5c] : [0x64, 0x62];
  return [
    ...op.get(l.v), ...op.get(l.bv), GT, ...op.get(l.bv), ...op.get(l.bv), NE, 0x72, ...op.set(l.t),
    ...op.get(l.v), ...op.get(l.bv), ...op.get(l.t), 0x1b, ...op.set(l.bv),
    ...op.get(l.j), ...op.get(l.best), ...op.get(l.t), 0x1b, ...op.set(l.best),
  ];
}

/**
 * One step of the vector argmax, the same in both argmax functions:
 * vm = (vv > vbv) | (vbv != vbv); vbv = vm ? vv : vbv; vbi = vm ? j : vbi.
 * Locals by index.
 */
function vectorArgmaxStep(lanes: 'f32' | 'f64', l: { vv: number; vbv: number; vm: number; vbi: number; j: number }): number[] {
  const [VGT, VNE] = lanes === 'f32' ? [0x44, 0x42] : [0x4a, 0x48];
  return [
    ...op.get(l.vv), ...op.get(l.vbv), ...op.simd(VGT), ...op.get(l.vbv), ...op.get(l.vbv), ...op.simd(VNE), ...op.simd(0x50), ...op.set(l.vm),
    ...op.get(l.vv), ...op.get(l.vbv), ...op.get(l.vm), ...op.simd(0x52), ...op.set(l.vbv),
    ...op.get(l.j), ...(lanes === 'f32' ? op.simd(0x11) : [0xad, ...op.simd(0x12)]), ...op.get(l.vbi), ...op.get(l.vm), ...op.simd(0x52), ...op.set(l.vbi),
  ];
}

/** The i32 at out + 4·class += 1, class computed by `cls` (an i32 on the stack); t is a scratch i32 local. */
function bumpClass(out: number, cls: number[], t: number): number[] {
  return [
    ...op.get(out), ...cls, ...op.i32Const(2), 0x74, ...op.i32Add, ...op.set(t),
    ...op.get(t), ...op.get(t), 0x28, 2, 0, ...op.i32Const(1), ...op.i32Add, 0x36, 2, 0,
  ];
}

function argmaxBody(lanes: 'f32' | 'f64'): number[] {
  const bytes = lanes === 'f32' ? 4 : 8;
  const n = lanes === 'f32' ? 4 : 2;
  const [LOAD, FTYPE] = lanes === 'f32' ? [0x2a, 0x7d] : [0x2b, 0x7c];
  const [LOAD_LANE, EXTRACT] = lanes === 'f32' ? [0x56, 0x1b] : [0x57, 0x1d];
  const align = bytes === 4 ? 2 : 3;
  const load = (offset: number) => [LOAD, align, ...uleb(offset)];
  // params 0..3: p, rows, k, out; locals: end, rowEnd, q, j, best, c (i32), bv, v (float), r, vend (i32), vbv, vv, vm, vbi (v128)
  const P = 0, ROWS = 1, K = 2, OUT = 3, END = 4, ROW_END = 5, Q = 6, J = 7, BEST = 8, C = 9, BV = 10, V = 11;
  const R = 12, VEND = 13, VBV = 14, VV = 15, VM = 16, VBI = 17;
  const constI32 = op.i32Const;
  const zeros = [...op.simd(0x0c), ...new Array<number>(16).fill(0)]; // v128.const 0
  /** VV = the values at q, q + R, … (one row per lane) */
  const gather = (): number[] => {
    const c: number[] = [...zeros, ...op.set(VV)];
    for (let l = 0; l < n; l++) {
      c.push(...op.get(Q));
      for (let i = 0; i < l; i++) c.push(...op.get(R), ...op.i32Add);
      c.push(...op.get(VV), ...op.simd(LOAD_LANE), align, 0, l, ...op.set(VV));
    }
    return c;
  };
  const code: number[] = [];
  code.push(...op.get(K), ...constI32(bytes), ...op.i32Mul, ...op.set(R));
  code.push(...op.get(P), ...op.get(ROWS), ...op.get(R), ...op.i32Mul, ...op.i32Add, ...op.set(END));
  code.push(...op.get(P), ...op.get(ROWS), ...constI32(-n), 0x71, ...op.get(R), ...op.i32Mul, ...op.i32Add, ...op.set(VEND));
  // four (two) rows at a time
  code.push(...op.block, ...op.loop);
  code.push(...op.get(P), ...op.get(VEND), ...op.i32GeU, ...op.brIf(1));
  code.push(...op.get(P), ...op.set(Q), ...op.get(P), ...op.get(R), ...op.i32Add, ...op.set(ROW_END));
  code.push(...gather(), ...op.get(VV), ...op.set(VBV), ...zeros, ...op.set(VBI));
  code.push(...op.get(Q), ...constI32(bytes), ...op.i32Add, ...op.set(Q), ...constI32(1), ...op.set(J));
  code.push(...op.block, ...op.loop);
  code.push(...op.get(Q), ...op.get(ROW_END), ...op.i32GeU, ...op.brIf(1));
  code.push(...gather());
  code.push(...vectorArgmaxStep(lanes, { vv: VV, vbv: VBV, vm: VM, vbi: VBI, j: J }));
  code.push(...op.get(J), ...constI32(1), ...op.i32Add, ...op.set(J));
  code.push(...op.get(Q), ...constI32(bytes), ...op.i32Add, ...op.set(Q), ...op.br(0));
  code.push(...op.end, ...op.end);
  for (let l = 0; l < n; l++) {
    // out[lane l's class] += 1
    code.push(...bumpClass(OUT, [...op.get(VBI), ...op.simd(EXTRACT), l, ...(lanes === 'f64' ? [0xa7] : [])], Q));
  }
  code.push(...op.get(P), ...op.get(R), ...constI32(n), ...op.i32Mul, ...op.i32Add, ...op.set(P), ...op.br(0));
  code.push(...op.end, ...op.end);
  // the rows left, one at a time
  code.push(...op.block, ...op.loop);
  code.push(...op.get(P), ...op.get(END), ...op.i32GeU, ...op.brIf(1));
  code.push(...op.get(P), ...load(0), ...op.set(BV));
  code.push(...constI32(0), ...op.set(BEST));
  code.push(...constI32(1), ...op.set(J));
  code.push(...op.get(P), ...constI32(bytes), ...op.i32Add, ...op.set(Q));
  code.push(...op.get(P), ...op.get(R), ...op.i32Add, ...op.set(ROW_END));
  code.push(...op.block, ...op.loop);
  code.push(...op.get(Q), ...op.get(ROW_END), ...op.i32GeU, ...op.brIf(1));
  code.push(...op.get(Q), ...load(0), ...op.set(V));
  code.push(...argmaxStep(lanes, { v: V, bv: BV, j: J, best: BEST, t: C }));
  code.push(...op.get(J), ...constI32(1), ...op.i32Add, ...op.set(J));
  code.push(...op.get(Q), ...constI32(bytes), ...op.i32Add, ...op.set(Q), ...op.br(0));
  code.push(...op.end, ...op.end);
  // out[best] += 1
  code.push(...bumpClass(OUT, op.get(BEST), Q));
  code.push(...op.get(ROW_END), ...op.set(P), ...op.br(0));
  code.push(...op.end, ...op.end, ...op.end);
  const locals = vec([[6, I32], [2, FTYPE], [2, I32], [4, V128]]);
  const body = [...locals, ...code];
  return [...uleb(body.length), ...body];
}

/**
 * argmaxColumns(p, rows, k, out): the same classes as argmax, of a
 * column-major `[k, rows]` matrix at p (column j at p + j·rows·bytes, the
 * shared predict path's transposed outputs): four (float64: two) rows per
 * vector with plain contiguous loads, one compare-and-select chain per
 * column; the last rows one at a time. Adds 1 to the i32 at out + 4·class.
 */
function argmaxColumnsBody(lanes: 'f32' | 'f64'): number[] {
  const bytes = lanes === 'f32' ? 4 : 8;
  const n = lanes === 'f32' ? 4 : 2;
  const [LOAD, FTYPE] = lanes === 'f32' ? [0x2a, 0x7d] : [0x2b, 0x7c];
  const EXTRACT = lanes === 'f32' ? 0x1b : 0x1d;
  const align = bytes === 4 ? 2 : 3;
  const load = (offset: number) => [LOAD, align, ...uleb(offset)];
  // params 0..3: p, rows, k, out; locals: end, vend, c, q, j, best, t (i32), bv, v (float), vbv, vv, vm, vbi (v128)
  const P = 0, ROWS = 1, K = 2, OUT = 3, END = 4, VEND = 5, C = 6, Q = 7, J = 8, BEST = 9, T = 10, BV = 11, V = 12;
  const VBV = 13, VV = 14, VM = 15, VBI = 16;
  const constI32 = op.i32Const;
  const zeros = [...op.simd(0x0c), ...new Array<number>(16).fill(0)]; // v128.const 0
  const code: number[] = [];
  code.push(...op.get(ROWS), ...constI32(bytes), ...op.i32Mul, ...op.set(C));
  code.push(...op.get(P), ...op.get(C), ...op.i32Add, ...op.set(END));
  code.push(...op.get(P), ...op.get(ROWS), ...constI32(-n), 0x71, ...constI32(bytes), ...op.i32Mul, ...op.i32Add, ...op.set(VEND));
  // n rows at a time
  code.push(...op.block, ...op.loop);
  code.push(...op.get(P), ...op.get(VEND), ...op.i32GeU, ...op.brIf(1));
  code.push(...op.get(P), ...op.v128Load(0), ...op.set(VBV), ...zeros, ...op.set(VBI));
  code.push(...op.get(P), ...op.get(C), ...op.i32Add, ...op.set(Q), ...constI32(1), ...op.set(J));
  code.push(...op.block, ...op.loop);
  code.push(...op.get(J), ...op.get(K), ...op.i32GeU, ...op.brIf(1));
  code.push(...op.get(Q), ...op.v128Load(0), ...op.set(VV));
  code.push(...vectorArgmaxStep(lanes, { vv: VV, vbv: VBV, vm: VM, vbi: VBI, j: J }));
  code.push(...op.get(J), ...constI32(1), ...op.i32Add, ...op.set(J));
  code.push(...op.get(Q), ...op.get(C), ...op.i32Add, ...op.set(Q), ...op.br(0));
  code.push(...op.end, ...op.end);
  for (let l = 0; l < n; l++) {
    // out[lane l's class] += 1
    code.push(...bumpClass(OUT, [...op.get(VBI), ...op.simd(EXTRACT), l, ...(lanes === 'f64' ? [0xa7] : [])], T));
  }
  code.push(...op.get(P), ...constI32(n * bytes), ...op.i32Add, ...op.set(P), ...op.br(0));
  code.push(...op.end, ...op.end);
  // the rows left, one at a time
  code.push(...op.block, ...op.loop);
  code.push(...op.get(P), ...op.get(END), ...op.i32GeU, ...op.brIf(1));
  code.push(...op.get(P), ...load(0), ...op.set(BV));
  code.push(...constI32(0), ...op.set(BEST));
  code.push(...constI32(1), ...op.set(J));
  code.push(...op.get(P), ...op.get(C), ...op.i32Add, ...op.set(Q));
  code.push(...op.block, ...op.loop);
  code.push(...op.get(J), ...op.get(K), ...op.i32GeU, ...op.brIf(1));
  code.push(...op.get(Q), ...load(0), ...op.set(V));
  code.push(...argmaxStep(lanes, { v: V, bv: BV, j: J, best: BEST, t: T }));
  code.push(...op.get(J), ...constI32(1), ...op.i32Add, ...op.set(J));
  code.push(...op.get(Q), ...op.get(C), ...op.i32Add, ...op.set(Q), ...op.br(0));
  code.push(...op.end, ...op.end);
  // out[best] += 1
  code.push(...bumpClass(OUT, op.get(BEST), T));
  code.push(...op.get(P), ...constI32(bytes), ...op.i32Add, ...op.set(P), ...op.br(0));
  code.push(...op.end, ...op.end, ...op.end);
  const locals = vec([[7, I32], [2, FTYPE], [4, V128]]);
  const body = [...locals, ...code];
  return [...uleb(body.length), ...body];
}

/**
 * Vectors per iteration of the contiguous-column kernels (u32_E, u64_E).
 * Two, not four: with 9 edges, four vectors, the 9 edges, 9 accumulators and
 * ok are 23 live vectors, more than x64's 16 registers, and V8 spills them;
 * two measured 0.38 against 0.69 ns per float32 value (E = 9, one 16,384-value
 * column in wasm memory counted 20,000 times; no worse at E = 3 or 15).
 */
const UNROLL = 2;

/** The module: memory "mem" (exported), c32_E and c64_E (any stride), u32_E and u64_E (contiguous, UNROLL vectors a step) for E = 0..MAX_SIMD_EDGES, a32 and a64. */
export function binsModuleBytes(): Uint8Array<ArrayBuffer> {
  const countType = [0x60, ...vec([[I32], [I32], [I32], [I32], [I32]]), ...vec([])];
  const argmaxType = [0x60, ...vec([[I32], [I32], [I32], [I32]]), ...vec([])];
  const kinds: Array<'f32' | 'f64'> = ['f32', 'f64'];
  const funcs = [
    ...kinds.flatMap((k) => Array.from({ length: MAX_SIMD_EDGES + 1 }, (_, E) => ({ name: `c${k.slice(1)}_${E}`, type: 0, body: countBody(k, E) }))),
    ...kinds.flatMap((k) => Array.from({ length: MAX_SIMD_EDGES + 1 }, (_, E) => ({ name: `u${k.slice(1)}_${E}`, type: 0, body: countBody(k, E, UNROLL) }))),
    ...kinds.map((k) => ({ name: `a${k.slice(1)}`, type: 1, body: argmaxBody(k) })),
    ...kinds.map((k) => ({ name: `t${k.slice(1)}`, type: 1, body: argmaxColumnsBody(k) })),
  ];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([countType, argmaxType])),
    ...section(3, vec(funcs.map((f) => [f.type]))),
    ...section(5, vec([[0x00, ...uleb(1)]])),
    ...section(7, vec([[...name('mem'), 0x02, 0x00], ...funcs.map((f, i) => [...name(f.name), 0x00, ...uleb(i)])])),
    ...section(10, vec(funcs.map((f) => f.body))),
  ];
  return new Uint8Array(bytes);
}

// ---- the kernel ----------------------------------------------------------

type CountFn = (p: number, n: number, stride: number, edges: number, out: number) => void;
type ArgmaxFn = (p: number, rows: number, k: number, out: number) => void;

/**
 * Where things live in the kernel's memory: edges (written on each call: at
 * most 15 vectors, nothing next to the values counted), results, class
 * counts, then an inference thread's feed (if any, see feed), then the data
 * copied in.
 */
const EDGES_AT = 0; // MAX_SIMD_EDGES × 16 bytes
const OUT_AT = 256; // (1 + MAX_SIMD_EDGES) × 16 bytes
const CLASSES_AT = 1024; // MAX_ARGMAX_CLASSES × 4 bytes
const DATA_AT = 2048;
/** Most score columns the argmax kernel counts classes of. */
export const MAX_ARGMAX_CLASSES = (DATA_AT - CLASSES_AT) / 4;
/** bytes past the data that a lane group may read (the unused lanes of the last row) */
const SLACK = 16;
const PAGE = 65536;

/** The smallest float32 ≥ e: for any float32 x, x ≥ e exactly when x ≥ ceilFloat32(e). */
export function ceilFloat32(e: number): number {
  const f = Math.fround(e);
  if (!(f < e)) return f;
  const buf = new Float32Array([f]);
  const bits = new Int32Array(buf.buffer);
  bits[0] += f >= 0 ? 1 : -1; // f < e, so f is not +∞; +0 steps to the least subnormal
  return buf[0];
}

/** A column's inner edges as each lane type compares them (made once per column, not per batch). */
export interface KernelEdges {
  readonly f64: Float64Array;
  /** each edge rounded up to a float32 (ceilFloat32), so float32 values bin exactly as against f64 */
  readonly f32: Float32Array;
}

/** Columns of a feed and their edges as SimdBins.countColumns takes them (made once per column list). */
export interface PackedColumns {
  readonly index: Int32Array;
  readonly edgeCounts: Int32Array;
  /** every column's edges, one after the other, as KernelEdges.f32 (rounded up) */
  readonly f32: Float32Array;
  readonly f64: Float64Array;
}

/** The columns `index[c]` with their edges (each at most MAX_SIMD_EDGES) packed for countColumns. */
export function packColumns(columns: ReadonlyArray<{ index: number; edges: KernelEdges }>): PackedColumns {
  return {
    index: Int32Array.from(columns, (c) => c.index),
    edgeCounts: Int32Array.from(columns, (c) => c.edges.f64.length),
    f32: Float32Array.from(columns.flatMap((c) => Array.from(c.edges.f32))),
    f64: Float64Array.from(columns.flatMap((c) => Array.from(c.edges.f64))),
  };
}

export function kernelEdges(edges: ArrayLike<number>): KernelEdges {
  const f64 = Float64Array.from(edges);
  return { f64, f32: Float32Array.from(f64, ceilFloat32) };
}

/**
 * The optional native kernel (native/simd-bins, an N-API addon), as it
 * exports itself. `count` adds a contiguous column's bins and NaN count into
 * `counts` (edges.length + 2 long), comparing against `edges` of the values'
 * own element type (float32 columns: the edges rounded up, KernelEdges.f32);
 * with `finite` (the caller knows no value is NaN) it skips the NaN check.
 * `argmaxColumns` adds the classes of a column-major `[k, rows]` matrix.
 */
export interface NativeBins {
  count(values: Float32Array | Float64Array, edges: Float32Array | Float64Array, counts: Float64Array, finite: boolean): void;
  /** columns index[c] of a column-major `[k, rows]` feed, each against its edgeCounts[c] edges (one after the other in `edges`), into `out` one after the other (edgeCounts[c] + 2 each) */
  countColumns(values: Float32Array | Float64Array, rows: number, index: Int32Array, edgeCounts: Int32Array, edges: Float32Array | Float64Array, out: Float64Array, finite: boolean): void;
  argmaxColumns(values: Float32Array | Float64Array, rows: number, k: number, classes: Float64Array): void;
  /** "avx512", "avx2" or "none" (the CPU has neither: not used) */
  level(): string;
  /** the named level ("avx512", "avx2", "best") where the CPU has it, else unchanged; returns the level in use */
  setLevel(name: string): string;
}

/**
 * The native kernel at the level ORTQ_DRIFT_KERNEL asks for, or null: the
 * setting is `wasm`, the addon is not built (an optional dependency: no
 * compiler, `npm ci --ignore-scripts`), or the CPU has no AVX2.
 */
export function nativeBins(setting = driftKernelSetting()): NativeBins | null {
  if (setting === 'wasm') return null;
  try {
    const native = createRequire(import.meta.url)('@ortq/simd-bins') as NativeBins;
    return native.setLevel(setting === 'avx2' ? 'avx2' : 'best') === 'none' ? null : native;
  } catch {
    return null;
  }
}

/** One instance of the module on this thread, with typed views that follow memory growth. */
export class SimdBins {
  private readonly memory: WebAssembly.Memory;
  private readonly fns: { f32: CountFn[]; f64: CountFn[] };
  private readonly unrolled: { f32: CountFn[]; f64: CountFn[] };
  private readonly argmaxFns: { f32: ArgmaxFn; f64: ArgmaxFn };
  private readonly argmaxColumnsFns: { f32: ArgmaxFn; f64: ArgmaxFn };
  /** where copied-in data starts: after the feed region, if any (feed) */
  private dataAt = DATA_AT;
  private f32!: Float32Array;
  private f64!: Float64Array;
  private i32!: Int32Array;
  /** with the native kernel: the feed (plain memory, grown as needed) */
  private ownFeed: Float32Array | null = null;

  /** @param native the native kernel (nativeBins): contiguous columns and column-major argmax go through it, in place */
  constructor(module: WebAssembly.Module, readonly native: NativeBins | null = null) {
    const inst = new WebAssembly.Instance(module, {});
    const ex = inst.exports as Record<string, unknown>;
    this.memory = ex.mem as WebAssembly.Memory;
    const fns = (k: string) => Array.from({ length: MAX_SIMD_EDGES + 1 }, (_, E) => ex[`c${k}_${E}`] as CountFn);
    this.fns = { f32: fns('32'), f64: fns('64') };
    const ufns = (k: string) => Array.from({ length: MAX_SIMD_EDGES + 1 }, (_, E) => ex[`u${k}_${E}`] as CountFn);
    this.unrolled = { f32: ufns('32'), f64: ufns('64') };
    this.argmaxFns = { f32: ex.a32 as ArgmaxFn, f64: ex.a64 as ArgmaxFn };
    this.argmaxColumnsFns = { f32: ex.t32 as ArgmaxFn, f64: ex.t64 as ArgmaxFn };
    this.views();
  }

  /**
   * Copies `length` values into this kernel's memory and returns a view of
   * them there: countColumn and countClassesOfColumns count views of this
   * memory where they are, so values counted more than once (a transposed
   * output's columns, then its argmax) are copied in once. The view is good
   * until the next copy into the kernel (any count of values from elsewhere).
   */
  stage<T extends Float32Array | Float64Array>(values: T, length: number): T {
    // the native kernel reads any memory: nothing to copy
    if (this.native) return (values.length === length ? values : values.subarray(0, length)) as T;
    this.load(values, length);
    const Ctor = values.constructor as new (b: ArrayBuffer, o: number, n: number) => T;
    return new Ctor(this.memory.buffer as ArrayBuffer, this.dataAt, length);
  }

  /**
   * `length` float32 values of this kernel's memory, before the data it
   * copies in (an inference thread's own feed: onnxruntime reads it, and
   * countColumn counts its columns where they are, without a copy). The view
   * is this call's: take it again for each batch (memory growth detaches it).
   * With the native kernel, which counts any memory in place, the feed is a
   * plain buffer of this thread's.
   */
  feed(length: number): Float32Array {
    if (this.native) {
      if (!this.ownFeed || this.ownFeed.length < length) this.ownFeed = new Float32Array(length);
      return this.ownFeed.length === length ? this.ownFeed : this.ownFeed.subarray(0, length);
    }
    this.dataAt = Math.max(this.dataAt, DATA_AT + Math.ceil((length * 4) / 16) * 16);
    const have = this.memory.buffer.byteLength;
    if (this.dataAt + SLACK > have) {
      this.memory.grow(Math.ceil((this.dataAt + SLACK - have) / PAGE));
      this.views();
    }
    return new Float32Array(this.memory.buffer, DATA_AT, length);
  }

  private views(): void {
    this.f32 = new Float32Array(this.memory.buffer);
    this.f64 = new Float64Array(this.memory.buffer);
    this.i32 = new Int32Array(this.memory.buffer);
  }

  private load(values: Float32Array | Float64Array, length: number): 'f32' | 'f64' {
    const need = this.dataAt + length * values.BYTES_PER_ELEMENT + SLACK;
    const have = this.memory.buffer.byteLength;
    if (need > have) {
      this.memory.grow(Math.ceil((need - have) / PAGE));
      this.views();
    }
    if (values instanceof Float32Array) {
      this.f32.set(values.length === length ? values : values.subarray(0, length), this.dataAt / 4);
      return 'f32';
    }
    this.f64.set(values.length === length ? values : values.subarray(0, length), this.dataAt / 8);
    return 'f64';
  }

  /**
   * Counts `n` vectors of the loaded data, at its start + 16-byte lane groups
   * starting at column `firstCol`, `width` columns per row: lane l against
   * `edges[l]` (null: lane unused). Adds lane l's bins and NaN count into
   * `counts[l]`, or with `sum` every lane's into `counts[0]`.
   */
  private run(type: 'f32' | 'f64', firstCol: number, width: number, n: number, edges: ReadonlyArray<KernelEdges | null>, counts: ReadonlyArray<Float64Array | null>, sum: boolean): void {
    const lanes = type === 'f32' ? 4 : 2;
    const bytes = type === 'f32' ? 4 : 8;
    let E = 0;
    for (let l = 0; l < lanes; l++) E = Math.max(E, edges[l]?.f64.length ?? 0);
    // edge i of lane l at EDGES_AT + 16·i + bytes·l; lanes past their own edges get NaN (never ≥)
    const ev = type === 'f32' ? this.f32 : this.f64;
    for (let l = 0; l < lanes; l++) {
      const le = edges[l] ? edges[l]![type] : null;
      for (let i = 0; i < E; i++) ev[(EDGES_AT + 16 * i) / bytes + l] = le && i < le.length ? le[i] : NaN;
    }
    this.fns[type][E](this.dataAt + firstCol * bytes, n, width * bytes, EDGES_AT, OUT_AT);
    // results: 16 bytes per accumulator; a lane's count is its low 32 bits (per call counts < 2^31)
    const step = bytes / 4;
    const i32 = this.i32;
    for (let l = 0; l < lanes; l++) {
      const le = edges[l];
      const c = counts[sum ? 0 : l];
      if (!le || !c) continue;
      const m = le.f64.length;
      const ok = i32[OUT_AT / 4 + l * step];
      let prev = ok;
      for (let i = 0; i < m; i++) {
        const gi = i32[OUT_AT / 4 + 4 * (i + 1) + l * step];
        c[i] += prev - gi;
        prev = gi;
      }
      c[m] += prev;
      c[m + 1] += n - ok;
    }
  }

  /**
   * Adds `length` contiguous values to `counts` (bins of `edges`, then the
   * null slot for NaN). Values past the last whole lane group go through
   * `tail` (the scalar binner). With `finite` (no value is NaN: the model's
   * check said so) the native kernel skips its NaN check.
   */
  countColumn(values: Float32Array | Float64Array, length: number, edges: KernelEdges, counts: Float64Array, tail: (x: number) => number, finite = false): void {
    if (this.native) {
      const f32 = values instanceof Float32Array;
      this.native.count(values.length === length ? values : values.subarray(0, length), f32 ? edges.f32 : edges.f64, counts, finite);
      return;
    }
    // a view of this kernel's memory (feed) is counted where it is; anything else is copied in first
    const inPlace = values.buffer === this.memory.buffer;
    const type = inPlace ? (values instanceof Float32Array ? 'f32' : 'f64') : this.load(values, length);
    const at = inPlace ? values.byteOffset : this.dataAt;
    const lanes = type === 'f32' ? 4 : 2;
    // whole steps of UNROLL vectors; the last few values go through `tail`
    const groups = Math.floor(length / (lanes * UNROLL)) * UNROLL;
    const m = edges.f64.length;
    // edge i in every lane of the 16 bytes at EDGES_AT + 16·i
    const e = edges[type];
    const view = type === 'f32' ? this.f32 : this.f64;
    for (let i = 0, at = EDGES_AT / view.BYTES_PER_ELEMENT; i < m; i++, at += lanes) view.fill(e[i], at, at + lanes);
    this.unrolled[type][m](at, groups, 16, EDGES_AT, OUT_AT);
    // every lane's counts into one histogram: accumulator i's lanes summed (low 32 bits of each lane)
    const i32 = this.i32;
    const step = type === 'f32' ? 1 : 2;
    const lane = (acc: number): number => {
      const at = OUT_AT / 4 + 4 * acc;
      return type === 'f32' ? i32[at] + i32[at + 1] + i32[at + 2] + i32[at + 3] : i32[at] + i32[at + step];
    };
    const ok = lane(0);
    let prev = ok;
    for (let i = 0; i < m; i++) {
      const gi = lane(i + 1);
      counts[i] += prev - gi;
      prev = gi;
    }
    counts[m] += prev;
    counts[m + 1] += groups * lanes - ok;
    for (let r = groups * lanes; r < length; r++) {
      const x = values[r];
      counts[x !== x ? m + 1 : tail(x)]++;
    }
  }

  /**
   * With the native kernel, counts several columns of a column-major
   * `[k, rows]` feed in one call (per column, the call cost about as much as
   * counting 1,500 values): column `columns.index[c]` against its edges into
   * `out` (each column's bins, then its null slot, one after the other), and
   * returns true; false (nothing counted) without it.
   */
  countColumns(values: Float32Array | Float64Array, rows: number, columns: PackedColumns, out: Float64Array, finite = false): boolean {
    if (!this.native) return false;
    this.native.countColumns(values, rows, columns.index, columns.edgeCounts, values instanceof Float32Array ? columns.f32 : columns.f64, out, finite);
    return true;
  }

  /**
   * Adds the columns of a row-major [rows, width] matrix: column j into
   * `counts[j]` against `edges[j]` (a null entry skips the column). With
   * `classes` (length width ≤ MAX_ARGMAX_CLASSES) also adds 1 to
   * `classes[j]` for each row whose argmax is j, with the same ties and NaN
   * rules as columns.ts argmax.
   */
  countMatrix(values: Float32Array | Float64Array, rows: number, width: number, edges: ReadonlyArray<KernelEdges | null>, counts: ReadonlyArray<Float64Array | null>, classes?: Float64Array): void {
    const type = this.load(values, rows * width);
    const lanes = type === 'f32' ? 4 : 2;
    const e: Array<KernelEdges | null> = new Array(lanes);
    const c: Array<Float64Array | null> = new Array(lanes);
    for (let j = 0; j < width; j += lanes) {
      let any = false;
      for (let l = 0; l < lanes; l++) {
        e[l] = j + l < width ? edges[j + l] : null;
        c[l] = j + l < width ? counts[j + l] : null;
        any ||= e[l] !== null && c[l] !== null;
      }
      if (any) this.run(type, j, width, rows, e, c, false);
    }
    if (classes && rows > 0) {
      if (width > MAX_ARGMAX_CLASSES) throw new RangeError(`argmax of ${width} columns: at most ${MAX_ARGMAX_CLASSES}`);
      this.i32.fill(0, CLASSES_AT / 4, CLASSES_AT / 4 + width);
      this.argmaxFns[type](this.dataAt, rows, width, CLASSES_AT);
      for (let j = 0; j < width; j++) classes[j] += this.i32[CLASSES_AT / 4 + j];
    }
  }

  /**
   * Adds to `classes[j]` (length k ≤ MAX_ARGMAX_CLASSES) the rows of a
   * column-major `[k, rows]` matrix (column j at j·rows: the shared predict
   * path's transposed outputs) whose argmax is column j, with the same ties
   * and NaN rules as columns.ts argmax.
   */
  countClassesOfColumns(values: Float32Array | Float64Array, rows: number, k: number, classes: Float64Array): void {
    if (k > MAX_ARGMAX_CLASSES) throw new RangeError(`argmax of ${k} columns: at most ${MAX_ARGMAX_CLASSES}`);
    if (rows === 0) return;
    if (this.native) {
      this.native.argmaxColumns(values, rows, k, classes);
      return;
    }
    const inPlace = values.buffer === this.memory.buffer;
    const type = inPlace ? (values instanceof Float32Array ? 'f32' : 'f64') : this.load(values, rows * k);
    this.i32.fill(0, CLASSES_AT / 4, CLASSES_AT / 4 + k);
    this.argmaxColumnsFns[type](inPlace ? values.byteOffset : this.dataAt, rows, k, CLASSES_AT);
    for (let j = 0; j < k; j++) classes[j] += this.i32[CLASSES_AT / 4 + j];
  }
}

let shared: SimdBins | null | undefined;

/** The stored WebAssembly module, compiled. */
export function binsModule(): WebAssembly.Module {
  return new WebAssembly.Module(Buffer.from(SIMD_BINS_WASM_BASE64, 'base64'));
}

/**
 * This thread's kernel, or null where WebAssembly SIMD is unavailable (then
 * callers count in JavaScript), with the native kernel where it loads (see
 * nativeBins; ORTQ_DRIFT_KERNEL). The module is the emitter's output stored
 * as base64 (simd-bins-wasm.ts, made by scripts/gen-simd-bins.mjs): running
 * the emitter in every process cost about 0.15 CPU-s, 15% of a 1M-row MLP run.
 */
export function simdBins(): SimdBins | null {
  if (shared === undefined) {
    try {
      shared = new SimdBins(binsModule(), nativeBins());
    } catch {
      shared = null;
    }
  }
  return shared;
}

/** Tests: the next simdBins() reads ORTQ_DRIFT_KERNEL again (this thread only). */
export function resetSimdBins(): void {
  shared = undefined;
}
