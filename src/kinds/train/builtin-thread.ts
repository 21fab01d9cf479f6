import { parentPort, workerData } from 'node:worker_threads';
import { loadBuiltinTrainer } from './trainers/builtin.js';
import type { TrainerInput } from './trainers/types.js';

/**
 * Entry of the training thread: loads one built-in trainer and fits it, so
 * the main thread keeps serving locks, progress and signals during long fits.
 */
interface Job { name: string; input: Omit<TrainerInput, 'onProgress'> }

const job = workerData as Job;
let last = 0;
try {
  const trainer = await loadBuiltinTrainer(job.name);
  const result = await trainer.fit({
    ...job.input,
    onProgress: (fraction) => {
      const now = Date.now();
      if (now - last < 250) return;
      last = now;
      parentPort!.postMessage({ type: 'progress', fraction });
    },
  });
  const onnx = result.onnx;
  parentPort!.postMessage({ type: 'done', onnx, classes: result.classes, info: result.info }, [onnx.buffer as ArrayBuffer]);
} catch (err) {
  const e = err as { code?: string; message?: string; details?: unknown };
  parentPort!.postMessage({ type: 'error', error: { code: e.code, message: e.message ?? String(err), details: e.details } });
}
