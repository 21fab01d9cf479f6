import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { PARQUET_WORKER_SOURCE } from './parquet-worker-source.js';

const require = createRequire(import.meta.url);
/** parquet-wasm's Node (CommonJS) build; resolved once, loaded inside each worker. */
const WASM_PATH = require.resolve('parquet-wasm/node');

/** The worker died or reported a decode error; read.ts names the file. */
export class ParquetDecodeError extends Error {}

type Reply = { type: string; message?: string; [k: string]: unknown };

/**
 * One Parquet decode worker. Requests are strictly sequential; a worker that
 * crashed, or was abandoned mid-stream, is terminated and never reused.
 */
export class ParquetWorker {
  private readonly worker: Worker;
  private pending: { resolve: (r: Reply) => void; reject: (e: Error) => void } | null = null;
  private dead: Error | null = null;

  constructor() {
    this.worker = new Worker(PARQUET_WORKER_SOURCE, { eval: true, workerData: { wasmPath: WASM_PATH } });
    this.worker.on('message', (msg: Reply) => {
      const p = this.pending;
      this.pending = null;
      this.worker.unref();
      if (!p) return;
      // a system error's code (EACCES, EIO) crosses the thread with it
      if (msg.type === 'error') p.reject(Object.assign(new ParquetDecodeError(msg.message ?? 'unknown parquet decode error'), msg.code ? { code: msg.code } : {}));
      else p.resolve(msg);
    });
    const die = (err: Error): void => {
      this.dead ??= err;
      const p = this.pending;
      this.pending = null;
      p?.reject(this.dead);
    };
    this.worker.on('error', (err) => die(new ParquetDecodeError(`the Parquet decoder crashed: ${err.message}`)));
    this.worker.on('exit', (code) => die(new ParquetDecodeError(`the Parquet decoder exited (code ${code})`)));
    // after the listeners: attaching a 'message' listener refs the port again,
    // and an idle pooled decoder must not keep the process alive
    this.worker.unref();
  }

  get healthy(): boolean {
    return this.dead === null;
  }

  request(msg: Record<string, unknown>): Promise<Reply> {
    if (this.dead) return Promise.reject(this.dead);
    if (this.pending) return Promise.reject(new Error('ParquetWorker: one request at a time'));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      // keep the process alive while a decode is in flight, and only then
      this.worker.ref();
      this.worker.postMessage(msg);
    });
  }

  terminate(): void {
    this.dead ??= new ParquetDecodeError('the Parquet decoder was stopped');
    void this.worker.terminate();
  }
}

/** Idle workers kept for reuse; wasm instantiation costs ~100 ms per worker. */
const MAX_IDLE = 4;
const idle: ParquetWorker[] = [];

export function acquireParquetWorker(): ParquetWorker {
  while (idle.length > 0) {
    const w = idle.pop()!;
    if (w.healthy) return w;
  }
  return new ParquetWorker();
}

/** Back to the pool if it is healthy and finished its request; otherwise terminated. */
export function releaseParquetWorker(w: ParquetWorker, reusable: boolean): void {
  if (reusable && w.healthy && idle.length < MAX_IDLE) idle.push(w);
  else w.terminate();
}

/** Terminates pooled workers (tests, shutdown). */
export function closeParquetWorkers(): void {
  for (const w of idle.splice(0)) w.terminate();
}
