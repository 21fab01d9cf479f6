/**
 * Worker-thread entry that owns one onnxruntime session. onnxruntime-node's
 * run() blocks the thread it is called on; running it here lets the caller
 * read, decode and assemble the next batch meanwhile. Input buffers are
 * transferred in and handed back with the outputs, so nothing is copied and
 * no fresh memory is touched per batch.
 *
 * With `columnMajor`, the model is rewritten here (off the caller's thread) to
 * take its rank-2 numeric inputs as `[k, N]` (src/onnx/column-major.ts); the
 * caller feeds those inputs column-major under their original names, and each
 * reply says whether every floating value fed was finite.
 */
import { parentPort, workerData } from 'node:worker_threads';
import ort from 'onnxruntime-node';
import { columnMajorModel, type ColumnMajorFeed } from '../onnx/column-major.js';
import { FeedCounter, type FeedCountRequest, type FeedCounts } from '../monitor/feed-counts.js';

export interface ThreadTensor { type: string; data: ArrayLike<unknown> & { buffer?: ArrayBufferLike }; dims: number[] }
/** `count`: drift histograms of feed columns, counted here after the reply (src/monitor/feed-counts.ts) */
export type ThreadRequest = { id: number; feeds: Record<string, ThreadTensor>; count?: FeedCountRequest[] };
/**
 * A request with `count` gets two replies: the outputs (`feeds` empty,
 * `counting` true), then, once the feeds are counted, a ThreadCounted with
 * the counts per request of `count` and the feeds handed back.
 */
export type ThreadReply =
  | { id: number; outputs: Record<string, ThreadTensor>; feeds: Record<string, ThreadTensor>; finite: boolean; counting?: boolean }
  | { id: number; error: string };
export type ThreadCounted = { id: number; counted: FeedCounts[]; feeds: Record<string, ThreadTensor> } | { id: number; countError: string };
export interface ThreadReady { id: 0; outputNames: string[]; inputNames: string[]; columnMajor: Record<string, ColumnMajorFeed> }

const port = parentPort!;
const { bytes, options, columnMajor } = workerData as { bytes: Uint8Array; options: ort.InferenceSession.SessionOptions; columnMajor?: boolean };

let layout: Record<string, ColumnMajorFeed> = {};
/** the rewrite's check outputs, which the caller never sees */
let hidden = new Set<string>();
const ready = (async () => {
  let model = bytes;
  if (columnMajor) {
    // a model protobufjs cannot parse is left to onnxruntime, whose error is the one to report
    const cm = (() => { try { return columnMajorModel(bytes); } catch { return null; } })();
    if (cm) {
      model = cm.bytes;
      layout = cm.feeds;
      hidden = new Set(Object.values(layout).flatMap((f) => (f.check ? [f.check] : [])));
    }
  }
  return ort.InferenceSession.create(model, options);
})();
const original = (feed: string): string => Object.entries(layout).find(([, f]) => f.feed === feed)?.[0] ?? feed;
ready.then(
  (s) => {
    port.postMessage({ id: 0, outputNames: s.outputNames.filter((n) => !hidden.has(n)), inputNames: s.inputNames.map(original), columnMajor: layout } satisfies ThreadReady);
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

/** Counts the feeds a request asked for, after its outputs went back, then hands the feeds back with the counts. */
function countFeeds(req: ThreadRequest & { count: FeedCountRequest[] }): void {
  let counted: FeedCounts[];
  try {
    counted = req.count.map((c) => counter.count(c, req.feeds[c.feed]?.data));
  } catch (err) {
    port.postMessage({ id: req.id, countError: (err as Error).message } satisfies ThreadCounted);
    return;
  }
  port.postMessage({ id: req.id, counted, feeds: req.feeds } satisfies ThreadCounted, [...feedBuffers(req.feeds), ...counted.flat().map((c) => c.buffer as ArrayBuffer)]);
}

port.on('message', async (req: ThreadRequest) => {
  try {
    const session = await ready;
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(req.feeds)) feeds[layout[name]?.feed ?? name] = new ort.Tensor(t.type as 'float32', t.data as Float32Array, t.dims);
    const results = await session.run(feeds);
    let finite = true;
    for (const f of Object.values(layout)) {
      if (f.check && results[f.check] && !Number.isFinite(Number((results[f.check] as ort.Tensor).data[0]))) finite = false;
    }
    const outputs: Record<string, ThreadTensor> = {};
    for (const name of session.outputNames) {
      if (hidden.has(name)) continue;
      const t = results[name] as ort.Tensor;
      outputs[name] = { type: t.type, data: t.data as ThreadTensor['data'], dims: [...t.dims] };
    }
    // with drift counts to make, the feeds stay here until they are counted
    const counting = req.count !== undefined && req.count.length > 0;
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
    if (counting) countFeeds(req as ThreadRequest & { count: FeedCountRequest[] });
  } catch (err) {
    port.postMessage({ id: req.id, error: (err as Error).message } satisfies ThreadReply);
  }
});
