/**
 * Worker-thread entry that owns one onnxruntime session. onnxruntime-node's
 * run() blocks the thread it is called on; running it here lets the caller
 * read, decode and assemble the next batch meanwhile. Input buffers are
 * transferred in and handed back with the outputs, so nothing is copied and
 * no fresh memory is touched per batch.
 */
import { parentPort, workerData } from 'node:worker_threads';
import ort from 'onnxruntime-node';

export interface ThreadTensor { type: string; data: ArrayLike<unknown> & { buffer?: ArrayBufferLike }; dims: number[] }
export type ThreadRequest = { id: number; feeds: Record<string, ThreadTensor> };
export type ThreadReply =
  | { id: number; outputs: Record<string, ThreadTensor>; feeds: Record<string, ThreadTensor> }
  | { id: number; error: string };

const port = parentPort!;
const { bytes, options } = workerData as { bytes: Uint8Array; options: ort.InferenceSession.SessionOptions };

const ready = ort.InferenceSession.create(bytes, options);
ready.then(
  (s) => port.postMessage({ id: 0, outputNames: s.outputNames, inputNames: s.inputNames }),
  (err: Error) => port.postMessage({ id: 0, error: err.message }),
);

function transferable(a: unknown): ArrayBuffer | null {
  const buf = (a as { buffer?: unknown }).buffer;
  return buf instanceof ArrayBuffer ? buf : null;
}

port.on('message', async (req: ThreadRequest) => {
  try {
    const session = await ready;
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(req.feeds)) feeds[name] = new ort.Tensor(t.type as 'float32', t.data as Float32Array, t.dims);
    const results = await session.run(feeds);
    const outputs: Record<string, ThreadTensor> = {};
    const transfer: ArrayBuffer[] = [];
    for (const name of session.outputNames) {
      const t = results[name] as ort.Tensor;
      outputs[name] = { type: t.type, data: t.data as ThreadTensor['data'], dims: [...t.dims] };
    }
    for (const t of Object.values(req.feeds)) {
      const b = transferable(t.data);
      if (b && !transfer.includes(b)) transfer.push(b);
    }
    try {
      const outBufs = Object.values(outputs).map((o) => transferable(o.data)).filter((b): b is ArrayBuffer => b !== null && !transfer.includes(b));
      port.postMessage({ id: req.id, outputs, feeds: req.feeds } satisfies ThreadReply, [...transfer, ...outBufs]);
    } catch {
      // onnxruntime's output buffers may not be transferable: send them as copies
      port.postMessage({ id: req.id, outputs, feeds: req.feeds } satisfies ThreadReply, transfer);
    }
  } catch (err) {
    port.postMessage({ id: req.id, error: (err as Error).message } satisfies ThreadReply);
  }
});
