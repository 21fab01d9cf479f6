import { Worker } from 'node:worker_threads';
import { gather, gatherWords, histogramWidth, histogramWords, quadAll, quadOne, quadRows, sparseScratch } from './histogram.js';
import type { Workspace } from './workspace.js';

// control words (Int32Array over a SharedArrayBuffer)
const SEQ = 0;
const STOP = 1;
const SLOT = 2;
const G_OFF = 3;
const H_OFF = 4;
const USE_IDX = 5;
const START = 6;
const END = 7;
const DONE = 8;
/** A histogram thread that has not answered in this long is taken for dead. */
const WAIT_MS = 120_000;

function workerLoop(run: typeof histogramWords, scratch: typeof sparseScratch, d: {
  ctrl: Int32Array; quads: Uint32Array[]; rowWords: Uint32Array; ws: number; slots: Float64Array[]; g: Float32Array; h: Float32Array | null;
  idx: Uint32Array; og: Float32Array; oh: Float32Array; cq: Uint32Array; lo: number; hi: number; sw: number;
  module: WebAssembly.Module | null; memory: WebAssembly.Memory | null;
}): void {
  let seq = 0;
  const rows = d.idx.length;
  const cq = d.cq.subarray(scratch(rows, d.lo), scratch(rows, d.hi));
  const k = d.module && d.memory ? (new WebAssembly.Instance(d.module, { e: { m: d.memory } }).exports as unknown as Parameters<typeof run>[13]) : null;
  for (;;) {
    Atomics.wait(d.ctrl, 0, seq);
    seq = Atomics.load(d.ctrl, 0);
    if (Atomics.load(d.ctrl, 1) === 1) return;
    const slot = d.ctrl[2];
    const gOff = d.ctrl[3];
    const hOff = d.ctrl[4];
    const useIdx = d.ctrl[5] === 1;
    const start = d.ctrl[6];
    const m = d.ctrl[7] - start;
    const gs = useIdx ? d.og : d.g.subarray(gOff, gOff + m);
    const hs = hOff < 0 || !d.h ? null : useIdx ? d.oh : d.h.subarray(hOff, hOff + m);
    run(d.slots[slot], d.quads, d.rowWords, d.ws, cq, d.sw, gs, hs, useIdx ? d.idx : null, start, m, d.lo, d.hi, k);
    Atomics.add(d.ctrl, 8, 1);
    Atomics.notify(d.ctrl, 8);
  }
}

const SOURCE = [
  "const { workerData } = require('node:worker_threads');",
  ...[histogramWords, gatherWords, quadAll, quadRows, quadOne, sparseScratch].map((f) => f.toString()),
  `(${workerLoop.toString()})(${histogramWords.name}, ${sparseScratch.name}, workerData);`,
].join('\n');

/**
 * Histograms built by `threads` threads at once (this one included), each
 * taking a contiguous range of words (four features each); the subtraction
 * trick and the split search stay on this thread. Every buffer a histogram
 * reads or writes lives in the workspace's shared memory (workspace.ts):
 * codes, gradients, the row index partition, the scratch and the histogram
 * slots. Callers block until all threads are done (Atomics.wait), so results
 * are identical to one thread.
 */
export class HistogramThreads {
  readonly slots: number;
  private readonly ctrl = new Int32Array(new SharedArrayBuffer(16 * 4));
  private readonly workers: Worker[] = [];
  private readonly lo: number;
  private readonly cq: Uint32Array;
  private seq = 0;
  /** stride × doubles per bin (histogram.ts): 3 with hessians, 2 without */
  private readonly sw: number;

  constructor(private readonly ws: Workspace, rows: number, stride: number, threads: number) {
    this.slots = ws.slots.length;
    this.sw = stride * histogramWidth(ws.h === null);
    const W = ws.codes.words;
    // whole words per thread; this thread takes the first range
    const per = Math.ceil(W / threads);
    this.lo = Math.min(W, per);
    this.cq = ws.cq.subarray(0, sparseScratch(rows, this.lo));
    const { quads, rowWords, ws: rowStride } = ws.codes;
    for (let t = 1; t < threads; t++) {
      const lo = Math.min(W, t * per);
      const hi = Math.min(W, (t + 1) * per);
      if (lo >= hi) break;
      const w = new Worker(SOURCE, {
        eval: true,
        workerData: {
          ctrl: this.ctrl, quads, rowWords, ws: rowStride, slots: ws.slots, g: ws.g, h: ws.h, idx: ws.idx, og: ws.og, oh: ws.oh, cq: ws.cq,
          lo, hi, sw: this.sw, module: ws.module, memory: ws.memory,
        },
      });
      w.unref();
      this.workers.push(w);
    }
  }

  /** Histogram of rows idx[start..end) (all rows in order when useIdx is false) into slot `slot`; `gk`/`hk` are views of the workspace's g/h. */
  build(slot: number, gk: Float32Array, hk: Float32Array | null, useIdx: boolean, start: number, end: number): void {
    const ws = this.ws;
    const hist = ws.slots[slot];
    hist.fill(0);
    const m = end - start;
    if (useIdx) gather(gk, hk, ws.idx, start, m, ws.og, ws.oh, ws.kernels);
    const c = this.ctrl;
    c[SLOT] = slot;
    c[G_OFF] = (gk.byteOffset - ws.g.byteOffset) / 4;
    c[H_OFF] = hk && ws.h ? (hk.byteOffset - ws.h.byteOffset) / 4 : -1;
    c[USE_IDX] = useIdx ? 1 : 0;
    c[START] = start;
    c[END] = end;
    Atomics.store(c, DONE, 0);
    Atomics.store(c, SEQ, ++this.seq);
    Atomics.notify(c, SEQ);
    histogramWords(hist, ws.codes.quads, ws.codes.rowWords, ws.codes.ws, this.cq, this.sw, useIdx ? ws.og : gk.subarray(0, m),
      hk ? (useIdx ? ws.oh : hk.subarray(0, m)) : null, useIdx ? ws.idx : null, start, m, 0, this.lo, ws.kernels);
    for (;;) {
      const done = Atomics.load(c, DONE);
      if (done >= this.workers.length) break;
      if (Atomics.wait(c, DONE, done, WAIT_MS) === 'timed-out') throw new Error(`gbdt: a histogram thread did not answer within ${WAIT_MS / 1000}s`);
    }
  }

  close(): void {
    Atomics.store(this.ctrl, STOP, 1);
    Atomics.store(this.ctrl, SEQ, ++this.seq);
    Atomics.notify(this.ctrl, SEQ);
    for (const w of this.workers) void w.terminate();
  }
}
