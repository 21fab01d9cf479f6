import type { BinMapper } from './binning.js';
import { buildHistogram, histogramWidth, subtractInto } from './histogram.js';
import type { HistogramThreads } from './parallel.js';
import { findSplit, nodeValue, SplitOut, type SplitContext } from './split.js';
import { allocTree, type Tree } from './tree.js';
import type { Workspace } from './workspace.js';

export interface GrowerOptions {
  maxLeaves: number | null;
  maxDepth: number | null;
  minSamplesLeaf: number;
  l2: number;
  learningRate: number;
  constantHessian: boolean;
}

/**
 * Grows one tree best-first (scikit-learn's `TreeGrower`): the open leaf with
 * the largest gain is split next, until `maxLeaves` leaves, `maxDepth`, or no
 * split gains. Each node owns the range `idx[start..end)` of row indices,
 * partitioned in place. The smaller child's histogram is built from its
 * rows; the larger child's is the parent's minus it, computed in the
 * parent's buffer. All buffers are allocated once and reused by every tree.
 */
export class TreeGrower {
  private readonly idx: Uint32Array;
  private readonly tmp: Uint32Array;
  /** partition's table: 1 where a bin code goes left */
  private readonly goesLeft = new Uint8Array(256);
  private readonly pool: Float64Array[] = [];
  private readonly free: number[] = [];
  private readonly ctx: SplitContext;
  private readonly cap: number;
  private readonly histSize: number;
  private readonly split = new SplitOut();
  // node records, indexed by node id (creation order)
  private readonly start: Int32Array;
  private readonly end: Int32Array;
  private readonly depth: Int32Array;
  private readonly sumG: Float64Array;
  private readonly sumH: Float64Array;
  private readonly value: Float64Array;
  private readonly slot: Int32Array;
  private readonly gain: Float64Array;
  private readonly sFeature: Int32Array;
  private readonly sBin: Int32Array;
  private readonly sMissingLeft: Uint8Array;
  private readonly sGL: Float64Array;
  private readonly sHL: Float64Array;
  private readonly sNL: Float64Array;
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  private readonly open: Int32Array;
  private nOpen = 0;
  private nNodes = 0;
  private nFinalLeaves = 0;

  constructor(private readonly bins: Uint8Array[], private readonly mapper: BinMapper, private readonly rows: number,
    private readonly opts: GrowerOptions, private readonly ws: Workspace, private readonly threads: HistogramThreads | null = null) {
    const stride = mapper.missingBin + 1;
    const width = histogramWidth(opts.constantHessian);
    this.histSize = ws.histSize;
    this.tmp = new Uint32Array(rows);
    this.idx = ws.idx;
    for (let i = ws.slots.length - 1; i >= 0; i--) {
      this.pool[i] = ws.slots[i];
      this.free.push(i);
    }
    this.ctx = {
      nBinsNonMissing: mapper.nBinsNonMissing, hasMissing: mapper.hasMissing, missingBin: mapper.missingBin,
      stride, minSamplesLeaf: opts.minSamplesLeaf, l2: opts.l2, constantHessian: opts.constantHessian, width,
    };
    const leaves = Math.min(opts.maxLeaves ?? Infinity, Math.floor(rows / opts.minSamplesLeaf) + 1);
    this.cap = 2 * leaves + 1;
    const c = this.cap;
    this.start = new Int32Array(c); this.end = new Int32Array(c); this.depth = new Int32Array(c);
    this.sumG = new Float64Array(c); this.sumH = new Float64Array(c); this.value = new Float64Array(c);
    this.slot = new Int32Array(c); this.gain = new Float64Array(c);
    this.sFeature = new Int32Array(c); this.sBin = new Int32Array(c); this.sMissingLeft = new Uint8Array(c);
    this.sGL = new Float64Array(c); this.sHL = new Float64Array(c); this.sNL = new Float64Array(c);
    this.left = new Int32Array(c); this.right = new Int32Array(c); this.open = new Int32Array(c);
  }

  /**
   * Grows a tree on gradients `g` (and hessians `h`, null when constant),
   * adds its leaf values to `raw[offset + row]` and returns it.
   */
  grow(g: Float32Array, h: Float32Array | null, raw: Float64Array, offset: number): Tree {
    const n = this.rows;
    const o = this.opts;
    for (let i = 0; i < n; i++) this.idx[i] = i;
    this.nOpen = 0; this.nNodes = 0; this.nFinalLeaves = 0;
    let G = 0;
    let H = 0;
    for (let i = 0; i < n; i++) G += g[i];
    if (h) for (let i = 0; i < n; i++) H += h[i];
    else H = n;
    const root = this.newNode(0, n, 0, G, H, 0);
    if (n >= 2 * o.minSamplesLeaf && H >= 1e-3) {
      const s = this.take();
      if (this.threads) this.threads.build(s, g, h, false, 0, n);
      else this.build(s, g, h, null, 0, n);
      this.slot[root] = s;
      this.evaluate(root);
    }
    while (this.nOpen > 0) this.splitNext(g, h);
    return this.finish(raw, offset);
  }

  private newNode(start: number, end: number, depth: number, G: number, H: number, value: number): number {
    const id = this.nNodes++;
    this.start[id] = start; this.end[id] = end; this.depth[id] = depth;
    this.sumG[id] = G; this.sumH[id] = H; this.value[id] = value;
    this.slot[id] = -1; this.left[id] = -1; this.right[id] = -1; this.gain[id] = -1;
    return id;
  }

  private take(): number {
    if (this.free.length > 0) return this.free.pop()!;
    if (this.ws.slots.length > 0) throw new Error('gbdt: out of histogram slots');
    this.pool.push(new Float64Array(this.histSize));
    return this.pool.length - 1;
  }

  private build(s: number, g: Float32Array, h: Float32Array | null, idx: Uint32Array | null, start: number, end: number): void {
    const ws = this.ws;
    buildHistogram(this.pool[s], ws.codes, this.ctx.stride, g, h, idx, start, end, ws.og, ws.oh, ws.cq, ws.kernels);
  }

  private release(node: number): void {
    if (this.slot[node] >= 0) this.free.push(this.slot[node]);
    this.slot[node] = -1;
  }

  /** Finds the node's best split; opens the node if it gains, else it stays a leaf. */
  private evaluate(node: number): void {
    const s = this.split;
    const n = this.end[node] - this.start[node];
    findSplit(this.ctx, this.pool[this.slot[node]], n, this.sumG[node], this.sumH[node], this.value[node], s);
    if (s.gain <= 0) {
      this.finalize(node);
      return;
    }
    this.gain[node] = s.gain; this.sFeature[node] = s.feature; this.sBin[node] = s.bin;
    this.sMissingLeft[node] = s.missingLeft; this.sGL[node] = s.gL; this.sHL[node] = s.hL; this.sNL[node] = s.nL;
    this.open[this.nOpen++] = node;
  }

  private finalize(node: number): void {
    this.release(node);
    this.nFinalLeaves++;
  }

  private splitNext(g: Float32Array, h: Float32Array | null): void {
    // the open node with the largest gain; the earliest opened wins ties
    let best = 0;
    for (let i = 1; i < this.nOpen; i++) if (this.gain[this.open[i]] > this.gain[this.open[best]]) best = i;
    const node = this.open[best];
    this.open.copyWithin(best, best + 1, this.nOpen);
    this.nOpen--;

    const o = this.opts;
    const mid = this.partition(node);
    const d = this.depth[node] + 1;
    const gL = this.sGL[node];
    const hL = this.sHL[node];
    const gR = this.sumG[node] - gL;
    const hR = this.sumH[node] - hL;
    const L = this.newNode(this.start[node], mid, d, gL, hL, nodeValue(gL, hL, o.l2));
    const R = this.newNode(mid, this.end[node], d, gR, hR, nodeValue(gR, hR, o.l2));
    this.left[node] = L;
    this.right[node] = R;
    const nL = mid - this.start[node];
    const nR = this.end[node] - mid;
    if (!this.mapper.hasMissing[this.sFeature[node]]) this.sMissingLeft[node] = nL > nR ? 1 : 0;

    const leaves = this.nFinalLeaves + this.nOpen + 2;
    if (o.maxLeaves !== null && leaves >= o.maxLeaves) {
      this.release(node);
      this.finalize(L); this.finalize(R);
      while (this.nOpen > 0) this.finalize(this.open[--this.nOpen]);
      return;
    }
    if (o.maxDepth !== null && d >= o.maxDepth) {
      this.release(node);
      this.finalize(L); this.finalize(R);
      return;
    }
    const splitL = nL >= 2 * o.minSamplesLeaf;
    const splitR = nR >= 2 * o.minSamplesLeaf;
    if (splitL || splitR) {
      const small = nL < nR ? L : R;
      const large = small === L ? R : L;
      const s = this.take();
      if (this.threads) this.threads.build(s, g, h, true, this.start[small], this.end[small]);
      else this.build(s, g, h, this.idx, this.start[small], this.end[small]);
      this.slot[small] = s;
      subtractInto(this.pool[this.slot[node]], this.pool[s]);
      this.slot[large] = this.slot[node];
      this.slot[node] = -1;
      if (splitL) this.evaluate(L); else this.finalize(L);
      if (splitR) this.evaluate(R); else this.finalize(R);
    } else {
      this.release(node);
      this.finalize(L); this.finalize(R);
    }
  }

  /**
   * Stable in-place partition of the node's rows; returns where the right
   * child starts. Branch-free (a row's side is a table lookup, and it is
   * written to both sides, the cursor of its own side advancing): which side
   * a row goes is a coin toss the CPU cannot predict.
   */
  private partition(node: number): number {
    const col = this.bins[this.sFeature[node]];
    const bin = this.sBin[node];
    const missing = this.mapper.missingBin;
    const left = this.goesLeft;
    for (let b = 0; b < left.length; b++) left[b] = b === missing ? this.sMissingLeft[node] : b <= bin ? 1 : 0;
    const idx = this.idx;
    const tmp = this.tmp;
    const start = this.start[node];
    const end = this.end[node];
    let l = start;
    let r = 0;
    for (let i = start; i < end; i++) {
      const row = idx[i];
      const goLeft = left[col[row]];
      idx[l] = row;
      tmp[r] = row;
      l += goLeft;
      r += 1 - goLeft;
    }
    idx.set(tmp.subarray(0, r), l);
    return l;
  }

  /** Copies the grown tree out (leaf values shrunk) and adds leaf values to the training raw predictions. */
  private finish(raw: Float64Array, offset: number): Tree {
    const t = allocTree(this.nNodes);
    const lr = this.opts.learningRate;
    const thresholds = this.mapper.thresholds;
    for (let id = 0; id < this.nNodes; id++) {
      if (this.left[id] >= 0) {
        const f = this.sFeature[id];
        t.feature[id] = f;
        t.bin[id] = this.sBin[id];
        t.threshold[id] = this.sBin[id] < thresholds[f].length ? thresholds[f][this.sBin[id]] : Infinity;
        t.missingLeft[id] = this.sMissingLeft[id];
        t.left[id] = this.left[id];
        t.right[id] = this.right[id];
        continue;
      }
      const v = lr * this.value[id];
      t.value[id] = v;
      for (let i = this.start[id]; i < this.end[id]; i++) raw[offset + this.idx[i]] += v;
    }
    for (const s of this.pool.keys()) if (!this.free.includes(s)) this.free.push(s);
    return t;
  }
}
