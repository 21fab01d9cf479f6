/**
 * Source of the Parquet decode worker, run with `new Worker(src, { eval: true })`
 * so that it works the same from TypeScript sources (tests) and from dist/.
 *
 * Why a worker: parquet-wasm decodes in async wasm code; a Rust panic there
 * (large_string_map.brotli.parquet does it) surfaces as a WebAssembly
 * `RuntimeError: unreachable` thrown from a microtask — uncatchable, it would
 * take the whole process down, and the wasm instance is poisoned afterwards.
 * In a worker it only ends that worker. It also overlaps decoding with inference.
 *
 * Protocol (one request at a time per worker):
 *   main → {op:'inspect', path}               ← {type:'inspect', rows, unitRows, schema: ipc bytes}
 *   main → {op:'open', path, rowGroups, columns, batchSize}   ← {type:'opened'}
 *   main → {op:'next'}                         ← {type:'batch', ipc} | {type:'end'}
 *   any failure                                ← {type:'error', message}
 */
export const PARQUET_WORKER_SOURCE = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
const { openAsBlob } = require('node:fs');
const pw = require(workerData.wasmPath);
let reader = null;
let file = null;
function release() {
  try { if (reader) reader.releaseLock(); } catch {}
  try { if (file) file.free(); } catch {}
  reader = null; file = null;
}
async function openFile(path) {
  release();
  file = await pw.ParquetFile.fromFile(await openAsBlob(path));
  return file;
}
parentPort.on('message', async (msg) => {
  try {
    if (msg.op === 'inspect') {
      const pf = await openFile(msg.path);
      const md = pf.metadata();
      const unitRows = md.rowGroups().map((rg) => rg.numRows());
      const rows = md.fileMetadata().numRows();
      const schema = pf.schema().intoIPCStream();
      release();
      parentPort.postMessage({ type: 'inspect', rows, unitRows, schema }, [schema.buffer]);
    } else if (msg.op === 'open') {
      const pf = await openFile(msg.path);
      const opts = { rowGroups: msg.rowGroups, batchSize: msg.batchSize };
      if (msg.columns) opts.columns = msg.columns;
      const stream = await pf.stream(opts);
      reader = stream.getReader();
      parentPort.postMessage({ type: 'opened' });
    } else if (msg.op === 'next') {
      const r = await reader.read();
      if (r.done) { release(); parentPort.postMessage({ type: 'end' }); return; }
      const ipc = r.value.intoIPCStream();
      parentPort.postMessage({ type: 'batch', ipc }, [ipc.buffer]);
    } else if (msg.op === 'close') {
      release();
      parentPort.postMessage({ type: 'closed' });
    }
  } catch (err) {
    release();
    parentPort.postMessage({ type: 'error', message: String((err && err.message) || err) });
  }
});
`;
