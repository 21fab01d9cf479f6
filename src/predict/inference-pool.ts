import { availableParallelism } from 'node:os';
import type { OrtqConfig } from '../config.js';
import type { FeedCountRequest } from '../monitor/feed-counts.js';
import { InferenceThread, type SessionFacts, type ThreadLayout, type ThreadResult } from './inference-client.js';
import type { SharedFeed, ThreadTensor } from './inference-thread.js';

const TREE_OP = Buffer.from('TreeEnsemble');

/**
 * How many inference threads (each with its own onnxruntime session) a
 * process runs per model: `inference.threads` (`ORTQ_INFERENCE_THREADS`)
 * when set; else (0, auto) 2 on two or more cores for a model with a tree
 * ensemble operator (TreeEnsembleRegressor, TreeEnsembleClassifier,
 * TreeEnsemble: its bytes name it) and no intra-op thread count set, 1
 * otherwise. Measured on 2 cores, 10M rows (docs/performance.md, Tuning):
 * two threads scored a 50×depth-8 forest 1.6× and a 60×depth-3 gbdt 1.4×
 * faster, and a small MLP and a linear model 15-25% slower, where the
 * pipeline and not inference is the bottleneck.
 */
export function inferenceThreadCount(inference?: OrtqConfig['inference'], bytes?: Uint8Array): number {
  if (inference?.threads) return inference.threads;
  if (inference?.intraOpThreads || !bytes || availableParallelism() < 2) return 1;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes(TREE_OP) ? 2 : 1;
}

/**
 * Several inference threads of one model behind InferenceThread's methods:
 * each request goes to the thread with the fewest requests in flight, so
 * consecutive batches are scored at once on different cores (batch
 * parallelism) instead of one batch split across onnxruntime's intra-op
 * threads. Results settle per request; callers keep their own order.
 */
export class InferencePool {
  readonly ready: Promise<SessionFacts>;
  /** which thread's shared output buffers these are, to give them back to it */
  private readonly owners = new WeakMap<ArrayBufferLike, InferenceThread>();

  constructor(private readonly threads: InferenceThread[]) {
    this.ready = Promise.all(threads.map((t) => t.ready)).then((facts) => facts[0]);
    this.ready.catch(() => undefined);
  }

  get size(): number {
    return this.threads.length;
  }

  private pick(): InferenceThread {
    let best = this.threads[0];
    for (const t of this.threads) if (t.inFlight < best.inFlight) best = t;
    return best;
  }

  private async owned(thread: InferenceThread, sent: Promise<ThreadResult>): Promise<ThreadResult> {
    const r = await sent;
    if (this.threads.length > 1) for (const o of Object.values(r.outputs)) if (o.data.buffer) this.owners.set(o.data.buffer, thread);
    return r;
  }

  run(feeds: Record<string, ThreadTensor>, count?: FeedCountRequest[]): Promise<ThreadResult> {
    const t = this.pick();
    return this.owned(t, t.run(feeds, count));
  }

  runShared(shared: Record<string, SharedFeed>, count?: FeedCountRequest[]): Promise<ThreadResult> {
    const t = this.pick();
    return this.owned(t, t.runShared(shared, count));
  }

  release(outputs: Record<string, ThreadTensor>): void {
    if (this.threads.length === 1) return this.threads[0].release(outputs);
    const byThread = new Map<InferenceThread, Record<string, ThreadTensor>>();
    for (const [name, o] of Object.entries(outputs)) {
      const t = (o.data.buffer && this.owners.get(o.data.buffer)) ?? this.threads[0];
      byThread.set(t, { ...byThread.get(t), [name]: o });
    }
    for (const [t, outs] of byThread) t.release(outs);
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.close()));
  }
}

const threads = new Map<string, InferencePool>();

/**
 * The inference threads for one model digest (and feed layout) per process,
 * created on first use: `inference.threads` sessions (see inferenceThreadCount).
 */
export function inferenceThreadFor(digest: string, bytes: () => Uint8Array, inference?: OrtqConfig['inference'], opts: ThreadLayout = {}): InferencePool {
  // the count is the configured one (0: auto, which depends on the model only)
  const key = `${digest}\0${opts.columnMajor ? 'cm' : 'rm'}${opts.columnMajor && opts.transposeOutputs ? 't' : ''}\0${inference?.threads ?? 0}`;
  let t = threads.get(key);
  if (!t) {
    const b = bytes();
    const n = inferenceThreadCount(inference, b);
    const perThread = inference && n > 1 && !inference.intraOpThreads ? { ...inference, intraOpThreads: Math.max(1, Math.floor(availableParallelism() / n)) } : inference;
    t = new InferencePool(Array.from({ length: n }, () => new InferenceThread(b, perThread, opts)));
    threads.set(key, t);
    t.ready.catch(() => threads.delete(key));
  }
  return t;
}
