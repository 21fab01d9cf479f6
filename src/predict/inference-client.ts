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
import type { ThreadReady, ThreadReply, ThreadTensor } from './inference-thread.js';
import { sessionLoadError, sessionOptions } from './session-options.js';

/** The compiled inference-thread entry (dist/ when running from src/ under vitest). */
function threadFile(): string {
  let file = fileURLToPath(new URL('./inference-thread.js', import.meta.url));
  if (!existsSync(file)) file = file.replace(/([/\\])src([/\\]predict[/\\])/, '$1dist$2');
  if (!existsSync(file)) throw new OrtqError('ORTQ_INTERNAL', `${file} is missing: run "npm run build"`);
  return file;
}

export interface SessionFacts { outputNames: string[]; inputNames: string[]; columnMajor: Record<string, ColumnMajorFeed> }
export type ThreadResult = Extract<ThreadReply, { outputs: unknown }>;

/**
 * A model's onnxruntime session in its own worker thread. run() posts the
 * feeds (transferring their buffers) and resolves with the outputs and the
 * same feed buffers handed back for reuse. Idle threads don't hold the
 * process open.
 */
export class InferenceThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (r: ThreadResult) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private failure: Error | null = null;
  readonly ready: Promise<SessionFacts>;

  /**
   * @param opts.columnMajor - rewrite the model to take rank-2 numeric inputs as `[k, N]`
   *   (see src/onnx/column-major.ts); `ready` says which inputs it applies to. @defaultValue false
   */
  constructor(bytes: Uint8Array, private readonly inference?: OrtqConfig['inference'], opts: { columnMajor?: boolean } = {}) {
    this.worker = new Worker(threadFile(), { workerData: { bytes, options: sessionOptions(inference), columnMajor: opts.columnMajor ?? false } });
    let readyResolve!: (v: SessionFacts) => void;
    let readyReject!: (e: Error) => void;
    this.ready = new Promise((res, rej) => { readyResolve = res; readyReject = rej; });
    this.ready.catch(() => undefined);
    this.worker.on('message', (msg: ThreadReply | ThreadReady | { id: 0; error: string }) => {
      if (msg.id === 0) {
        if ('error' in msg) readyReject(sessionLoadError(msg.error, this.inference));
        else if ('outputNames' in msg) readyResolve({ outputNames: msg.outputNames, inputNames: msg.inputNames, columnMajor: msg.columnMajor });
        this.idle();
        return;
      }
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      this.idle();
      if (!p) return;
      if ('error' in msg) p.reject(new OrtqError('ORTQ_INFERENCE_FAILED', `onnxruntime failed: ${msg.error}`));
      else if ('outputs' in msg) p.resolve(msg);
    });
    const die = (err: Error) => {
      this.failure ??= err;
      readyReject(err);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    this.worker.on('error', (err) => die(new OrtqError('ORTQ_INFERENCE_FAILED', `inference thread crashed: ${err.message}`)));
    this.worker.on('exit', (code) => die(new OrtqError('ORTQ_INFERENCE_FAILED', `inference thread exited (code ${code})`)));
  }

  private idle(): void {
    if (this.pending.size === 0) this.worker.unref();
  }

  /**
   * Scores one batch. `finite` is false when an input fed column-major held a
   * NaN or ±Infinity (always true for other inputs: nothing is checked there).
   */
  async run(feeds: Record<string, ThreadTensor>): Promise<ThreadResult> {
    await this.ready;
    if (this.failure) throw this.failure;
    const id = this.nextId++;
    const transfer: ArrayBuffer[] = [];
    for (const t of Object.values(feeds)) {
      const b = (t.data as { buffer?: unknown }).buffer;
      if (b instanceof ArrayBuffer && !transfer.includes(b)) transfer.push(b);
    }
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage({ id, feeds }, transfer);
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

const threads = new Map<string, InferenceThread>();

/** One inference thread per model digest (and feed layout) per process, created on first use. */
export function inferenceThreadFor(digest: string, bytes: () => Uint8Array, inference?: OrtqConfig['inference'], opts: { columnMajor?: boolean } = {}): InferenceThread {
  const key = `${digest}\0${opts.columnMajor ? 'cm' : 'rm'}`;
  let t = threads.get(key);
  if (!t) {
    t = new InferenceThread(bytes(), inference, opts);
    threads.set(key, t);
    t.ready.catch(() => threads.delete(key));
  }
  return t;
}
