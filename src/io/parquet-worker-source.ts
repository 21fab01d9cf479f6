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
 *   main → {op:'open', path, unitStart?, unitEnd?, columns, batchSize}
 *                                              ← {type:'opened'} | {type:'end'} (no row group in range)
 *   main → {op:'next'}                         ← {type:'batch', ipc} | {type:'cols', …} | {type:'end'}
 *   any failure                                ← {type:'error', message}
 *
 * A batch whose columns are all flat fixed-width, boolean or utf8/binary goes
 * as {type:'cols', rows, schema?, cols}: each column's buffers are copied once
 * out of wasm memory through the Arrow C data interface (RecordBatch.toFFI)
 * into fresh ArrayBuffers that are transferred, not cloned. `schema` (IPC
 * bytes) comes with the first batch of a stream. Anything else (nested,
 * dictionary, decimal, odd bit offsets) goes as an IPC stream, as before.
 * That path cost ~3× the CPU of this one in wasm (IPC encode + copy out).
 */
export const PARQUET_WORKER_SOURCE = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
const { openAsBlob } = require('node:fs');
const { open: openFd } = require('node:fs/promises');
const pw = require(workerData.wasmPath);
let reader = null;
let file = null;
let schemaSent = false;
/** byte width of each fixed-width C data interface format we copy directly */
const WIDTH = { c: 1, C: 1, s: 2, S: 2, i: 4, I: 4, l: 8, L: 8, e: 2, f: 4, g: 8, tdD: 4, tdm: 8 };
function cstr(u8, p) { let e = p; while (u8[e] !== 0) e++; return String.fromCharCode(...u8.subarray(p, e)); }
function copy(u8, ptr, len) { const b = new ArrayBuffer(len); new Uint8Array(b).set(u8.subarray(ptr, ptr + len)); return b; }
/** Columns of a wasm RecordBatch as transferable buffers, or null when one needs the IPC path. */
function exportColumns(wb) {
  const f = wb.toFFI();
  try {
    const mem = pw.wasmMemory().buffer;
    const u8 = new Uint8Array(mem);
    const dv = new DataView(mem);
    const arr = f.arrayAddr(), sch = f.schemaAddr();
    const n = Number(dv.getBigInt64(arr + 32, true));
    if (Number(dv.getBigInt64(sch + 24, true)) !== n) return null;
    const kids = dv.getUint32(arr + 44, true), skids = dv.getUint32(sch + 32, true);
    const cols = [], transfer = [];
    for (let i = 0; i < n; i++) {
      const a = dv.getUint32(kids + 4 * i, true), s = dv.getUint32(skids + 4 * i, true);
      if (dv.getUint32(a + 48, true) !== 0 || Number(dv.getBigInt64(a + 32, true)) !== 0) return null;
      const fmt = cstr(u8, dv.getUint32(s, true));
      const length = Number(dv.getBigInt64(a, true)), nullCount = Number(dv.getBigInt64(a + 8, true));
      const offset = Number(dv.getBigInt64(a + 16, true)), nbuf = Number(dv.getBigInt64(a + 24, true));
      const bufs = dv.getUint32(a + 40, true);
      const ptr = (k) => dv.getUint32(bufs + 4 * k, true);
      let width = WIDTH[fmt] ?? (fmt.startsWith('ts') ? 8 : 0);
      const varlen = fmt === 'u' || fmt === 'z';
      if (!width && !varlen && fmt !== 'b') return null;
      if (nbuf !== (varlen ? 3 : 2)) return null;
      const col = { fmt, length, nullCount, validity: null, values: null, offsets: null };
      if (nullCount !== 0 && ptr(0) !== 0) {
        if (offset % 8 !== 0) return null;
        col.validity = copy(u8, ptr(0) + offset / 8, (length + 7) >> 3);
      }
      if (fmt === 'b') {
        if (offset % 8 !== 0) return null;
        col.values = copy(u8, ptr(1) + offset / 8, (length + 7) >> 3);
      } else if (varlen) {
        const offs = new Int32Array(copy(u8, ptr(1) + 4 * offset, 4 * (length + 1)));
        const first = offs[0], last = offs[length];
        if (first < 0 || last < first) return null;
        for (let k = 0; k <= length; k++) offs[k] -= first;
        col.offsets = offs.buffer;
        col.values = copy(u8, ptr(2) + first, last - first);
      } else {
        col.values = copy(u8, ptr(1) + width * offset, width * length);
      }
      for (const b of [col.validity, col.values, col.offsets]) if (b) transfer.push(b);
      cols.push(col);
    }
    return { cols, transfer };
  } finally {
    f.free();
  }
}
function release() {
  try { if (reader) reader.releaseLock(); } catch {}
  try { if (file) file.free(); } catch {}
  reader = null; file = null; schemaSent = false;
}
async function openFile(path) {
  release();
  // openAsBlob opens lazily: an unreadable file would fail inside wasm as a panic
  // ('unreachable'); opening it here first surfaces EACCES with its code
  await (await openFd(path, 'r')).close();
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
      const opts = { batchSize: msg.batchSize };
      if (msg.unitStart !== undefined || msg.unitEnd !== undefined) {
        // the footer is parsed once, here: row groups [unitStart, unitEnd), clamped to the file
        const count = pf.metadata().numRowGroups();
        opts.rowGroups = [];
        for (let i = msg.unitStart ?? 0; i < Math.min(msg.unitEnd ?? count, count); i++) opts.rowGroups.push(i);
        if (opts.rowGroups.length === 0) { release(); parentPort.postMessage({ type: 'end' }); return; }
      }
      if (msg.columns) opts.columns = msg.columns;
      const stream = await pf.stream(opts);
      reader = stream.getReader();
      parentPort.postMessage({ type: 'opened' });
    } else if (msg.op === 'next') {
      const r = await reader.read();
      if (r.done) { release(); parentPort.postMessage({ type: 'end' }); return; }
      const wb = r.value;
      let out = null;
      try { out = exportColumns(wb); } catch { out = null; }
      if (out) {
        const rows = wb.numRows;
        let schema;
        if (!schemaSent) { schema = wb.schema.intoIPCStream(); out.transfer.push(schema.buffer); schemaSent = true; }
        wb.free();
        parentPort.postMessage({ type: 'cols', rows, schema, cols: out.cols }, out.transfer);
        return;
      }
      const ipc = wb.intoIPCStream();
      parentPort.postMessage({ type: 'batch', ipc }, [ipc.buffer]);
    }
  } catch (err) {
    release();
    parentPort.postMessage({ type: 'error', message: String((err && err.message) || err), code: err && typeof err.code === 'string' ? err.code : undefined });
  }
});
`;
