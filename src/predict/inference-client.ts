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
import type { ThreadReply, ThreadTensor } from './inference-thread.js';
import { sessionLoadError, sessionOptions } from './session-options.js';

/** The compiled inference-thread entry (dist/ when running from src/ under vitest). */
function threadFile(): string {
  let file = fileURLToPath(new URL('./inference-thread.js', import.meta.url));
  if (!existsSync(file)) file = file.replace(/([/\\])src([/\\]predict[/\\])/, '$1dist$2');
  if (!existsSync(file)) throw new OrtqError('ORTQ_INTERNAL', `${file} is missing: run "npm run build"`);
  return file;
}

/**
 * A model's onnxruntime session in its own worker thread. run() posts the
 * feeds (transferring their buffers) and resolves with the outputs and the
 * same feed buffers handed back for reuse. Idle threads don't hold the
 * process open.
 */
export class InferenceThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (r: Extract<ThreadReply, { outputs: unknown }>) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private failure: Error | null = null;
  readonly ready: Promise<{ outputNames: string[]; inputNames: string[] }>;

  constructor(bytes: Uint8Array, private readonly inference?: OrtqConfig['inference']) {
    this.worker = new Worker(threadFile(), { workerData: { bytes, options: sessionOptions(inference) } });
    let readyResolve!: (v: { outputNames: string[]; inputNames: string[] }) => void;
    let readyReject!: (e: Error) => void;
    this.ready = new Promise((res, rej) => { readyResolve = res; readyReject = rej; });
    this.ready.catch(() => undefined);
    this.worker.on('message', (msg: ThreadReply & { outputNames?: string[]; inputNames?: string[] }) => {
      if (msg.id === 0) {
        if ('error' in msg) readyReject(sessionLoadError(msg.error, this.inference));
        else readyResolve({ outputNames: msg.outputNames!, inputNames: msg.inputNames! });
        this.idle();
        return;
      }
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      this.idle();
      if (!p) return;
      if ('error' in msg) p.reject(new OrtqError('ORTQ_INFERENCE_FAILED', `onnxruntime failed: ${msg.error}`));
      else p.resolve(msg);
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

  async run(feeds: Record<string, ThreadTensor>): Promise<{ outputs: Record<string, ThreadTensor>; feeds: Record<string, ThreadTensor> }> {
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

/** One inference thread per model digest per process, created on first use. */
export function inferenceThreadFor(digest: string, bytes: () => Uint8Array, inference?: OrtqConfig['inference']): InferenceThread {
  let t = threads.get(digest);
  if (!t) {
    t = new InferenceThread(bytes(), inference);
    threads.set(digest, t);
    t.ready.catch(() => threads.delete(digest));
  }
  return t;
}
