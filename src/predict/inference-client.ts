import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
// onnxruntime's addon is not context-aware: once the only thread that loaded
// it exits, no later thread can load it again ("Module did not self-register").
// Loading it here, in the thread that owns the inference threads, keeps it
// registered for the life of the process.
import 'onnxruntime-node';
import type { OrtqConfig } from '../config.js';
import { OrtqError } from '../errors.js';
import type { ColumnMajorFeed } from '../onnx/column-major.js';
import type { FeedCountRequest, FeedCounts } from '../monitor/feed-counts.js';
import type { SharedFeed, ThreadCounted, ThreadReady, ThreadReply, ThreadTensor } from './inference-thread.js';
import { sessionLoadError, sessionOptions } from './session-options.js';

/** The compiled inference-thread entry (dist/ when running from src/ under vitest). */
function threadFile(): string {
  let file = fileURLToPath(new URL('./inference-thread.js', import.meta.url));
  if (!existsSync(file)) file = file.replace(/([/\\])src([/\\]predict[/\\])/, '$1dist$2');
  if (!existsSync(file)) throw new OrtqError('ORTQ_INTERNAL', `${file} is missing: run "npm run build"`);
  return file;
}

export interface SessionFacts {
  outputNames: string[];
  inputNames: string[];
  columnMajor: Record<string, ColumnMajorFeed>;
  /** outputs that come back transposed, `[k, N]` (thread option `transposeOutputs`) */
  transposed: string[];
}
/** The counts a run's `count` asked for and the feeds, handed back once the inference thread has counted them. */
export interface FeedCountResult { counted: FeedCounts[]; feeds: Record<string, ThreadTensor> }
export type ThreadResult = Extract<ThreadReply, { outputs: unknown }> & {
  /** with `count`: settles when the feeds are counted (`feeds` above is then empty) */
  counted?: Promise<FeedCountResult>;
};

interface Pending {
  resolve: (r: ThreadResult) => void;
  reject: (e: Error) => void;
  /** with `count`: the second reply's */
  counted?: { promise: Promise<FeedCountResult>; resolve: (r: FeedCountResult) => void; reject: (e: Error) => void };
}

/**
 * A model's onnxruntime session in its own worker thread. run() posts the
 * feeds (transferring their buffers) and resolves with the outputs and the
 * same feed buffers handed back for reuse. Idle threads don't hold the
 * process open.
 */
export class InferenceThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  /** count plans this thread was sent (FeedCountRequest.plan) */
  private readonly plans = new Set<number>();
  private nextId = 1;
  private failure: Error | null = null;
  readonly ready: Promise<SessionFacts>;

  /**
   * @param opts.columnMajor - rewrite the model to take rank-2 numeric inputs as `[k, N]`
   *   (see src/onnx/column-major.ts); `ready` says which inputs it applies to. @defaultValue false
   * @param opts.transposeOutputs - with columnMajor: return rank-2 numeric outputs as `[k, N]`,
   *   each column contiguous; `ready.transposed` lists them. @defaultValue false
   */
  constructor(bytes: Uint8Array, private readonly inference?: OrtqConfig['inference'], opts: ThreadLayout = {}) {
    this.worker = new Worker(threadFile(), {
      workerData: { bytes, options: sessionOptions(inference), columnMajor: opts.columnMajor ?? false, transposeOutputs: opts.transposeOutputs ?? false },
    });
    let readyResolve!: (v: SessionFacts) => void;
    let readyReject!: (e: Error) => void;
    this.ready = new Promise((res, rej) => { readyResolve = res; readyReject = rej; });
    this.ready.catch(() => undefined);
    this.worker.on('message', (msg: ThreadReply | ThreadCounted | ThreadReady | { id: 0; error: string }) => {
      if (msg.id === 0) {
        if ('error' in msg) readyReject(sessionLoadError(msg.error, this.inference));
        else if ('outputNames' in msg) readyResolve({ outputNames: msg.outputNames, inputNames: msg.inputNames, columnMajor: msg.columnMajor, transposed: msg.transposed });
        this.idle();
        return;
      }
      const p = this.pending.get(msg.id);
      if (!p) return;
      if ('counted' in msg || 'countError' in msg) {
        this.pending.delete(msg.id);
        this.idle();
        if ('countError' in msg) p.counted?.reject(new OrtqError('ORTQ_INTERNAL', `drift counting on the inference thread failed: ${msg.countError}`));
        else p.counted?.resolve({ counted: msg.counted, feeds: msg.feeds });
        return;
      }
      // a reply that says counting follows keeps its entry for the counts
      if (!('outputs' in msg && msg.counting && p.counted)) {
        this.pending.delete(msg.id);
        this.idle();
      }
      if ('error' in msg) {
        const err = new OrtqError('ORTQ_INFERENCE_FAILED', `onnxruntime failed: ${msg.error}`);
        p.reject(err);
        p.counted?.reject(err);
      } else if ('outputs' in msg) {
        p.resolve(msg.counting && p.counted ? { ...msg, counted: p.counted.promise } : msg);
      }
    });
    const die = (err: Error) => {
      this.failure ??= err;
      readyReject(err);
      for (const p of this.pending.values()) {
        p.reject(err);
        p.counted?.reject(err);
      }
      this.pending.clear();
    };
    this.worker.on('error', (err) => die(new OrtqError('ORTQ_INFERENCE_FAILED', `inference thread crashed: ${err.message}`)));
    this.worker.on('exit', (code) => die(new OrtqError('ORTQ_INFERENCE_FAILED', `inference thread exited (code ${code})`)));
  }

  private idle(): void {
    if (this.pending.size === 0) this.worker.unref();
  }

  /** Requests posted and not yet answered (counting replies included). */
  get inFlight(): number {
    return this.pending.size;
  }

  /**
   * Scores one batch. `finite` is false when an input fed column-major held a
   * NaN or ±Infinity (always true for other inputs: nothing is checked there).
   * With `count`, the thread also counts those feeds' columns into drift bins
   * after replying: the result's `counted` settles with the counts and the
   * feeds (see src/monitor/feed-counts.ts).
   */
  async run(feeds: Record<string, ThreadTensor>, count?: FeedCountRequest[]): Promise<ThreadResult> {
    await this.ready;
    if (this.failure) throw this.failure;
    const id = this.nextId++;
    const transfer: ArrayBuffer[] = [];
    for (const t of Object.values(feeds)) {
      const b = (t.data as { buffer?: unknown }).buffer;
      if (b instanceof ArrayBuffer && !transfer.includes(b)) transfer.push(b);
    }
    return this.post({ id, feeds }, count, transfer);
  }

  /**
   * Posts a request, with `count` (plans the thread has not seen go with
   * their columns), and settles the result; with counts, its `counted` too.
   */
  private post(msg: { id: number } & Record<string, unknown>, count: FeedCountRequest[] | undefined, transfer: ArrayBuffer[] = []): Promise<ThreadResult> {
    // a plan's columns go to the thread once; messages arrive in order, so later requests name it only
    const sent = count?.map((c) => {
      if (this.plans.has(c.plan)) return { plan: c.plan, feed: c.feed, rows: c.rows };
      this.plans.add(c.plan);
      return c;
    });
    return new Promise((resolve, reject) => {
      const entry: Pending = { resolve, reject };
      if (sent && sent.length > 0) {
        let res!: (r: FeedCountResult) => void;
        let rej!: (e: Error) => void;
        const promise = new Promise<FeedCountResult>((a, b) => { res = a; rej = b; });
        promise.catch(() => undefined); // the caller awaits it; a failed run rejects it too
        entry.counted = { promise, resolve: res, reject: rej };
      }
      this.pending.set(msg.id, entry);
      this.worker.ref();
      this.worker.postMessage({ ...msg, ...(sent && sent.length > 0 ? { count: sent } : {}) }, transfer);
    });
  }

  /**
   * Scores one batch whose inputs are all fed column-major from views of
   * shared buffers: the thread copies them (nothing is transferred, and the
   * caller may reuse the buffers once this resolves). The outputs' data are
   * views of shared buffers too: give them back with `release` once nothing
   * reads them, or drop them. With `count`, the thread counts those columns
   * of the feeds it built after replying (as run does; `counted` hands no
   * feeds back).
   */
  async runShared(shared: Record<string, SharedFeed>, count?: FeedCountRequest[]): Promise<ThreadResult> {
    await this.ready;
    if (this.failure) throw this.failure;
    const id = this.nextId++;
    return this.post({ id, shared }, count);
  }

  /** Hands the shared output buffers of runShared's results back to the thread for reuse. */
  release(outputs: Record<string, ThreadTensor>): void {
    const bufs = Object.values(outputs).map((t) => t.data.buffer).filter((b): b is SharedArrayBuffer => b instanceof SharedArrayBuffer);
    if (bufs.length > 0 && !this.failure) this.worker.postMessage({ id: -1, release: bufs });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

export interface ThreadLayout { columnMajor?: boolean; transposeOutputs?: boolean }
