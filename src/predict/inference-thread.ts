/**
 * Worker-thread entry that owns one onnxruntime session. onnxruntime-node's
 * run() blocks the thread it is called on; running it here lets the caller
 * read, decode and assemble the next batch meanwhile.
 *
 * Two ways in:
 * - `feeds`: tensors built by the caller, their buffers transferred in and
 *   handed back with the outputs for reuse.
 * - `shared`: the feature columns as views of the caller's shared read
 *   buffers (src/io/shared-pool.ts). This thread copies them into its own
 *   column-major feed buffers (onnxruntime takes no SharedArrayBuffer), so the
 *   caller does no per-value work, and the outputs come back in shared
 *   buffers that the caller returns (`release`) once written: nothing is
 *   transferred, cloned or freshly allocated per batch on the caller's side.
 *
 * With `columnMajor`, the model is rewritten here (off the caller's thread) to
 * take its rank-2 numeric inputs as `[k, N]` (src/onnx/column-major.ts); the
 * caller feeds those inputs column-major under their original names, and each
 * reply says whether every floating value fed was finite. With
 * `transposeOutputs` as well, rank-2 numeric outputs come back `[k, N]` under
 * their original names (`transposed` in the ready message lists them).
 */
import { parentPort, workerData } from 'node:worker_threads';
import ort from 'onnxruntime-node';
import { columnMajorModel, type ColumnMajorFeed } from '../onnx/column-major.js';
import { FeedCounter, type FeedCountRequest, type FeedCounts } from '../monitor/feed-counts.js';
import { simdBins } from '../monitor/simd-bins.js';

export interface ThreadTensor { type: string; data: ArrayLike<unknown> & { buffer?: ArrayBufferLike }; dims: number[] }
/** `count`: drift histograms of feed columns, counted here after the reply (src/monitor/feed-counts.ts) */
export type FeedRequest = { id: number; feeds: Record<string, ThreadTensor>; count?: FeedCountRequest[] };
/** One input fed from shared columns: `columns[j]` is column j's `rows` values (any numeric typed array over a SharedArrayBuffer). */
export interface SharedFeed { type: string; rows: number; columns: ArrayBufferView[] }
export type SharedRequest = { id: number; shared: Record<string, SharedFeed>; count?: FeedCountRequest[] };
/** `release`: shared output buffers the caller is done with, for reuse (no reply) */
export type ThreadRequest = FeedRequest | SharedRequest | { id: -1; release: SharedArrayBuffer[] };
/**
 * A request with `count` gets two replies: the outputs (`feeds` empty,
 * `counting` true), then, once the feeds are counted, a ThreadCounted with
 * the counts per request of `count` and the feeds handed back.
 */
export type ThreadReply =
  | { id: number; outputs: Record<string, ThreadTensor>; feeds: Record<string, ThreadTensor>; finite: boolean; counting?: boolean }
  | { id: number; error: string };
export type ThreadCounted = { id: number; counted: FeedCounts[]; feeds: Record<string, ThreadTensor> } | { id: number; countError: string };
export interface ThreadReady { id: 0; outputNames: string[]; inputNames: string[]; columnMajor: Record<string, ColumnMajorFeed>; transposed: string[] }

const port = parentPort!;
const { bytes, options, columnMajor, transposeOutputs } = workerData as {
  bytes: Uint8Array; options: ort.InferenceSession.SessionOptions; columnMajor?: boolean; transposeOutputs?: boolean;
};

let layout: Record<string, ColumnMajorFeed> = {};
/** graph output name → the original output name it holds transposed */
let transposedFrom = new Map<string, string>();
/** the rewrite's check outputs, which the caller never sees */
let hidden = new Set<string>();
const ready = (async () => {
  let model = bytes;
  if (columnMajor) {
    // a model protobufjs cannot parse is left to onnxruntime, whose error is the one to report
    const cm = (() => { try { return columnMajorModel(bytes, { outputs: transposeOutputs === true }); } catch { return null; } })();
    if (cm) {
      model = cm.bytes;
      layout = cm.feeds;
      transposedFrom = new Map(Object.entries(cm.outputs).map(([orig, t]) => [t, orig]));
      hidden = new Set(Object.values(layout).flatMap((f) => (f.check ? [f.check] : [])));
    }
  }
  return ort.InferenceSession.create(model, options);
})();
const original = (feed: string): string => Object.entries(layout).find(([, f]) => f.feed === feed)?.[0] ?? feed;
const outName = (graphName: string): string => transposedFrom.get(graphName) ?? graphName;
ready.then(
  (s) => {
    port.postMessage({
      id: 0, outputNames: s.outputNames.filter((n) => !hidden.has(n)).map(outName), inputNames: s.inputNames.map(original),
      columnMajor: layout, transposed: [...transposedFrom.values()],
    } satisfies ThreadReady);
  },
  (err: Error) => port.postMessage({ id: 0, error: err.message }),
);

function transferable(a: unknown): ArrayBuffer | null {
  const buf = (a as { buffer?: unknown }).buffer;
  return buf instanceof ArrayBuffer ? buf : null;
}

const counter = new FeedCounter();

/** The feed buffers to hand back, each once. */
function feedBuffers(feeds: Record<string, ThreadTensor>): ArrayBuffer[] {
  const transfer: ArrayBuffer[] = [];
  for (const t of Object.values(feeds)) {
    const b = transferable(t.data);
    if (b && !transfer.includes(b)) transfer.push(b);
  }
  return transfer;
}

type Numeric = Float32Array | Float64Array | Int32Array | Int16Array | Int8Array | Uint8Array | Uint16Array | Uint32Array;
const CTORS: Record<string, new (n: number) => Numeric> = {
  float32: Float32Array, float64: Float64Array, int32: Int32Array, int16: Int16Array, int8: Int8Array, uint8: Uint8Array, uint16: Uint16Array, uint32: Uint32Array,
};

/** This thread's feed buffers for shared requests, one per input, grown as needed (never transferred). */
const ownFeeds = new Map<string, Numeric>();

/**
 * The tensor of one input fed from shared columns, copied into this thread's
 * own buffer. With `counted` (drift counts of this feed follow the reply), a
 * float32 feed goes into the drift kernel's WebAssembly memory instead, where
 * its columns are counted without another copy (SimdBins.feed; onnxruntime
 * reads any non-shared buffer).
 */
function feedFrom(name: string, f: SharedFeed, counted = false): ort.Tensor {
  const Ctor = CTORS[f.type];
  if (!Ctor) throw new Error(`cannot feed element type ${f.type} from shared columns`);
  const k = f.columns.length;
  const n = f.rows * k;
  const kernel = counted && f.type === 'float32' ? simdBins() : null;
  if (kernel) {
    const view = kernel.feed(n);
    for (let j = 0; j < k; j++) view.set(f.columns[j] as Float32Array, j * f.rows);
    return new ort.Tensor('float32', view, [k, f.rows]);
  }
  let buf = ownFeeds.get(name);
  if (!buf || !(buf instanceof Ctor) || buf.length < n) {
    buf = new Ctor(n);
    ownFeeds.set(name, buf);
  }
  const view = buf.length === n ? buf : buf.subarray(0, n);
  // a memcpy per column where the types match, a native conversion otherwise
  for (let j = 0; j < k; j++) view.set(f.columns[j] as Float32Array, j * f.rows);
  return new ort.Tensor(f.type as 'float32', view as Float32Array, [k, f.rows]);
}

/** Shared output buffers by byte length, given back by the caller once written. */
const freeOutputs = new Map<number, SharedArrayBuffer[]>();

function sharedCopy(data: ArrayBufferView): ArrayBufferView {
  const sab = freeOutputs.get(data.byteLength)?.pop() ?? new SharedArrayBuffer(data.byteLength);
  const Ctor = data.constructor as new (b: SharedArrayBuffer, o: number, n: number) => Uint8Array;
  const out = new Ctor(sab, 0, (data as Uint8Array).length);
  out.set(data as Uint8Array);
  return out;
}

/**
 * Counts the feed columns a request asked for (after its outputs went back),
 * then posts the counts, handing `handBack` (the caller's feeds) back with them.
 */
function countFeeds(id: number, count: FeedCountRequest[], data: (feed: string) => unknown, handBack: Record<string, ThreadTensor>, finite: ReadonlySet<string>): void {
  let counted: FeedCounts[];
  try {
    counted = count.map((c) => counter.count(c, data(c.feed), finite.has(c.feed)));
  } catch (err) {
    port.postMessage({ id, countError: (err as Error).message } satisfies ThreadCounted);
    return;
  }
  port.postMessage({ id, counted, feeds: handBack } satisfies ThreadCounted, [...feedBuffers(handBack), ...counted.map((c) => c.buffer as ArrayBuffer)]);
}

async function handle(req: FeedRequest | SharedRequest): Promise<void> {
  try {
    const session = await ready;
    const feeds: Record<string, ort.Tensor> = {};
    if ('shared' in req) {
      // one feed at most goes into the kernel's memory (it has one feed region)
      const inKernel = req.count?.[0]?.feed;
      for (const [name, f] of Object.entries(req.shared)) feeds[layout[name]?.feed ?? name] = feedFrom(name, f, name === inKernel);
    } else {
      for (const [name, t] of Object.entries(req.feeds)) feeds[layout[name]?.feed ?? name] = new ort.Tensor(t.type as 'float32', t.data as Float32Array, t.dims);
    }
    const results = await session.run(feeds);
    let finite = true;
    // feeds whose check (the sum of every value) is finite hold no NaN: their drift counts skip the NaN check
    const finiteFeeds = new Set<string>();
    for (const [name, f] of Object.entries(layout)) {
      if (!f.check || !results[f.check]) continue;
      if (Number.isFinite(Number((results[f.check] as ort.Tensor).data[0]))) finiteFeeds.add(name);
      else finite = false;
    }
    const outputs: Record<string, ThreadTensor> = {};
    for (const name of session.outputNames) {
      if (hidden.has(name)) continue;
      const t = results[name] as ort.Tensor;
      const data = 'shared' in req && ArrayBuffer.isView(t.data) ? sharedCopy(t.data) : t.data;
      outputs[outName(name)] = { type: t.type, data: data as ThreadTensor['data'], dims: [...t.dims] };
    }
    const counting = req.count !== undefined && req.count.length > 0;
    if ('shared' in req) {
      port.postMessage({ id: req.id, outputs, feeds: {}, finite, ...(counting ? { counting } : {}) } satisfies ThreadReply);
      // this thread's own feed buffers: nothing refills them before the next request
      if (counting) countFeeds(req.id, req.count!, (feed) => feeds[layout[feed]?.feed ?? feed]?.data, {}, finiteFeeds);
      return;
    }
    // with drift counts to make, the feeds stay here until they are counted
    const handBack = counting ? {} : req.feeds;
    const transfer = feedBuffers(handBack);
    const reply: ThreadReply = { id: req.id, outputs, feeds: handBack, finite, ...(counting ? { counting } : {}) };
    try {
      const outBufs = Object.values(outputs).map((o) => transferable(o.data)).filter((b): b is ArrayBuffer => b !== null && !transfer.includes(b));
      port.postMessage(reply, [...transfer, ...outBufs]);
    } catch {
      // onnxruntime's output buffers may not be transferable: send them as copies
      port.postMessage(reply, transfer);
    }
    if (counting) countFeeds(req.id, req.count!, (feed) => req.feeds[feed]?.data, req.feeds, finiteFeeds);
  } catch (err) {
    port.postMessage({ id: req.id, error: (err as Error).message } satisfies ThreadReply);
  }
}

// One request at a time, in order: shared requests reuse this thread's feed
// buffers, which must not be refilled while onnxruntime reads them.
let queue: Promise<void> = Promise.resolve();
port.on('message', (req: ThreadRequest) => {
  if ('release' in req) {
    for (const sab of req.release) {
      const list = freeOutputs.get(sab.byteLength) ?? [];
      if (list.length < 8) list.push(sab);
      freeOutputs.set(sab.byteLength, list);
    }
    return;
  }
  // a plan's columns come once, with the first request that uses it, whether or not that request succeeds
  for (const c of req.count ?? []) counter.learn(c);
  queue = queue.then(() => handle(req));
});
