import { Worker } from 'node:worker_threads';
import { gather, gatherWords, histogramWidth, histogramWords, packCodes, quadAll, quadOne, quadRows, sparseScratch, type Codes } from './histogram.js';

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
  ctrl: Int32Array; quads: Uint32Array[]; rowWords: Uint32Array; ws: number; hist: Float64Array; g: Float32Array; h: Float32Array | null;
  idx: Uint32Array; og: Float32Array; oh: Float32Array; lo: number; hi: number; histSize: number; sw: number;
}): void {
  let seq = 0;
  const cq = new Uint32Array(scratch(d.idx.length, d.hi - d.lo));
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
    const hist = d.hist.subarray(slot * d.histSize, (slot + 1) * d.histSize);
    const gs = useIdx ? d.og : d.g.subarray(gOff, gOff + m);
    const hs = hOff < 0 || !d.h ? null : useIdx ? d.oh : d.h.subarray(hOff, hOff + m);
    run(hist, d.quads, d.rowWords, d.ws, cq, d.sw, gs, hs, useIdx ? d.idx : null, start, m, d.lo, d.hi);
    Atomics.add(d.ctrl, 8, 1);
    Atomics.notify(d.ctrl, 8);
  }
}

const SOURCE = [
  "const { workerData } = require('node:worker_threads');",
  ...[histogramWords, gatherWords, quadAll, quadRows, quadOne, sparseScratch].map((f) => f.toString()),
  `(${workerLoop.toString()})(${histogramWords.name}, ${sparseScratch.name}, workerData);`,
].join('\n');

function shared<T extends Float32Array | Float64Array | Uint32Array | Uint8Array | Int32Array>(
  Ctor: { new (b: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number }, n: number,
): T {
  return new Ctor(new SharedArrayBuffer(Math.max(1, n) * Ctor.BYTES_PER_ELEMENT));
}

/** Copies bin columns into shared memory (workers read them). */
export function shareBins(bins: Uint8Array[]): Uint8Array[] {
  return bins.map((b) => {
    const s = shared(Uint8Array, b.length);
    s.set(b);
    return s;
  });
}

/**
 * Histograms built by `threads` threads at once (this one included), each
 * taking a contiguous range of features; the subtraction trick and the
 * split search stay on this thread. Every buffer a histogram reads or writes
 * lives in shared memory: the bin columns, gradients, the row index
 * partition and `slots` histogram buffers. Callers block until all threads
 * are done (Atomics.wait), so results are identical to one thread.
 */
export class HistogramThreads {
  readonly idx: Uint32Array;
  /** bin codes four features to a word (histogram.ts packCodes), shared */
  readonly codes: Codes;
  /** this thread's node-order scratch for sparse nodes */
  private readonly cq: Uint32Array;
  readonly og: Float32Array;
  readonly oh: Float32Array;
  readonly hist: Float64Array;
  private readonly ctrl = shared(Int32Array, 16);
  private readonly workers: Worker[] = [];
  private readonly lo: number;
  private seq = 0;
  /** stride × doubles per bin (histogram.ts): 3 with hessians, 2 without */
  private readonly sw: number;

  constructor(bins: Uint8Array[], private readonly g: Float32Array, private readonly h: Float32Array | null,
    rows: number, readonly slots: number, readonly histSize: number, readonly stride: number, threads: number) {
    this.idx = shared(Uint32Array, rows);
    this.codes = packCodes(bins, (n) => shared(Uint32Array, n));
    this.og = shared(Float32Array, rows);
    this.oh = shared(Float32Array, rows);
    this.hist = shared(Float64Array, slots * histSize);
    this.sw = stride * histogramWidth(h === null);
    const W = this.codes.words;
    // whole words (four features) per thread; this thread takes the first range
    const per = Math.ceil(W / threads);
    this.lo = Math.min(W, per);
    this.cq = new Uint32Array(sparseScratch(rows, this.lo));
    for (let t = 1; t < threads; t++) {
      const lo = Math.min(W, t * per);
      const hi = Math.min(W, (t + 1) * per);
      if (lo >= hi) break;
      const w = new Worker(SOURCE, {
        eval: true,
        workerData: { ctrl: this.ctrl, quads: this.codes.quads, rowWords: this.codes.rowWords, ws: this.codes.ws, hist: this.hist, g, h, idx: this.idx, og: this.og, oh: this.oh, lo, hi, histSize, sw: this.sw },
      });
      w.unref();
      this.workers.push(w);
    }
  }

  slot(i: number): Float64Array {
    return this.hist.subarray(i * this.histSize, (i + 1) * this.histSize);
  }

  /** Histogram of rows idx[start..end) (all rows in order when useIdx is false) into slot `slot`; `gk`/`hk` are views of the shared g/h. */
  build(slot: number, gk: Float32Array, hk: Float32Array | null, useIdx: boolean, start: number, end: number): void {
    const hist = this.slot(slot);
    hist.fill(0);
    const m = end - start;
    if (useIdx) gather(gk, hk, this.idx, start, m, this.og, this.oh);
    const c = this.ctrl;
    c[SLOT] = slot;
    c[G_OFF] = (gk.byteOffset - this.g.byteOffset) / 4;
    c[H_OFF] = hk && this.h ? (hk.byteOffset - this.h.byteOffset) / 4 : -1;
    c[USE_IDX] = useIdx ? 1 : 0;
    c[START] = start;
    c[END] = end;
    Atomics.store(c, DONE, 0);
    Atomics.store(c, SEQ, ++this.seq);
    Atomics.notify(c, SEQ);
    histogramWords(hist, this.codes.quads, this.codes.rowWords, this.codes.ws, this.cq, this.sw, useIdx ? this.og : gk.subarray(0, m), hk ? (useIdx ? this.oh : hk.subarray(0, m)) : null,
      useIdx ? this.idx : null, start, m, 0, this.lo);
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
