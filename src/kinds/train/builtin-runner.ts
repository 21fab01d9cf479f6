import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { fromSerialized, OrtqError } from '../../errors.js';
import type { TrainerInput, TrainerResult } from './trainers/types.js';

/** The compiled thread entry (dist/ when running from src/ under vitest). */
function threadFile(): string {
  let file = fileURLToPath(new URL('./builtin-thread.js', import.meta.url));
  if (!existsSync(file)) file = file.replace(/([/\\])src([/\\]kinds[/\\])/, '$1dist$2');
  if (!existsSync(file)) throw new OrtqError('ORTQ_INTERNAL', `${file} is missing: run "npm run build"`);
  return file;
}

/**
 * Fits a built-in trainer in a worker thread. The data columns are copied
 * into the thread (the caller keeps its own for evaluation). A trainer error
 * keeps its code (ORTQ_JOB_INVALID, ORTQ_TRAIN_DATA_INVALID); a crash is
 * ORTQ_TRAIN_FAILED.
 */
export function fitInThread(name: string, input: TrainerInput): Promise<TrainerResult> {
  const { onProgress, ...rest } = input;
  const worker = new Worker(threadFile(), { workerData: { name, input: rest } });
  return new Promise<TrainerResult>((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      fn();
      void worker.terminate();
    };
    worker.on('message', (msg: { type: string; fraction?: number; onnx?: Uint8Array; classes?: Array<string | number>; info?: Record<string, unknown>; error?: { code?: string; message?: string; details?: Record<string, unknown> } }) => {
      if (msg.type === 'progress') onProgress?.(msg.fraction ?? 0);
      else if (msg.type === 'done') finish(() => resolve({ onnx: msg.onnx!, classes: msg.classes ?? [], info: msg.info ?? {} }));
      else if (msg.type === 'error') {
        const e = msg.error ?? {};
        finish(() => reject(e.code ? fromSerialized(e) : new OrtqError('ORTQ_TRAIN_FAILED', `built-in trainer "${name}" failed: ${e.message}`)));
      }
    });
    worker.on('error', (err) => finish(() => reject(new OrtqError('ORTQ_TRAIN_FAILED', `built-in trainer "${name}" crashed: ${err.message}`))));
    worker.on('exit', (code) => finish(() => reject(new OrtqError('ORTQ_TRAIN_FAILED', `built-in trainer "${name}" thread exited (code ${code})`))));
  });
}
