import { createReadStream } from 'node:fs';
import { makeData, RecordBatch, RecordBatchReader, Schema, Struct } from 'apache-arrow';
import { csvReaderSetting, parquetReaderSetting } from '../config.js';
import { OrtqError } from '../errors.js';
import { registerIpcCodecs } from './codecs.js';
import { asInputError } from './corrupt.js';
import { csvLayout, readCsvBatches } from './csv.js';
import { csvDuckDbPlan, readCsvDuckDb } from './csv-duckdb.js';
import type { InputFile } from './discover.js';
import { ArrowFileReader } from './ipc-file.js';
import { batchFromTransferred, schemaFromIpc, type TransferredColumn } from './parquet-columns.js';
import { acquireParquetWorker, releaseParquetWorker } from './parquet-host.js';
import { duckDbPlan, readParquetDuckDb } from './parquet-duckdb.js';
import { parquetLayout } from './inspect.js';
import { sharedBufferOf, type SharedReadPool } from './shared-pool.js';
import { recordBatch, sliceBatch } from './record-batch.js';
import { findBatchProblem } from './validate.js';

export interface ReadOptions {
  /** columns to read (projection); all when absent */
  columns?: string[];
  /** first unit to read (Parquet row group / IPC-file record batch) @defaultValue 0 */
  unitStart?: number;
  /** one past the last unit @defaultValue all units */
  unitEnd?: number;
  /** target upper bound on rows per yielded batch @defaultValue 65536 (Parquet, CSV); IPC batches as stored */
  batchSize?: number;
  /**
   * Arrow IPC files, and Parquet and CSV read by DuckDB: read into this
   * pool's shared buffers. Each batch handed out is counted against its buffer
   * until the consumer gives it back with `pool.releaseBatch(batch)`; only then
   * is the buffer read into again. Other readers (Arrow streams, parquet-wasm,
   * csv-parse) ignore it: their batches view no shared buffer.
   */
  pool?: SharedReadPool;
}

const DEFAULT_BATCH = 65_536;

/**
 * Streams the record batches of units [unitStart, unitEnd) of one input file,
 * in order, never holding more than one unit (Parquet: one batch) in memory.
 * Every decode failure surfaces as ORTQ_INPUT_CORRUPT naming the file.
 */
export function readBatches(file: InputFile, opts: ReadOptions = {}): AsyncIterable<RecordBatch> {
  return {
    [Symbol.asyncIterator]: () => guarded(file, opts)[Symbol.asyncIterator](),
  };
}

async function* guarded(file: InputFile, opts: ReadOptions): AsyncGenerator<RecordBatch> {
  const bs = opts.batchSize;
  if (bs !== undefined && (!Number.isInteger(bs) || bs <= 0)) throw new OrtqError('ORTQ_INTERNAL', `readBatches: batchSize must be a positive integer, got ${bs}`);
  let source: AsyncGenerator<RecordBatch>;
  switch (file.format) {
    case 'parquet': source = readParquet(file, opts); break;
    case 'arrow': source = readArrowFile(file.path, opts); break;
    case 'arrows': source = readArrowStream(file.path, opts); break;
    case 'csv': source = readCsv(file.path, opts); break;
  }
  try {
    for (;;) {
      let r: IteratorResult<RecordBatch>;
      try {
        r = await source.next();
      } catch (err) {
        throw asInputError(file.path, file.format, err);
      }
      if (r.done) return;
      const problem = findBatchProblem(r.value);
      const sab = opts.pool ? sharedBufferOf(r.value) : null;
      try {
        if (problem) throw asInputError(file.path, file.format, new Error(problem));
        for (const s of slices(r.value, bs)) {
          // a slice handed out holds the buffer until the consumer releases it
          const held = sab ? sharedBufferOf(s) : null;
          if (held) opts.pool!.retain(held);
          yield s;
        }
      } finally {
        // the reader's own reference, taken by readBatch
        if (sab) opts.pool!.release(sab);
      }
    }
  } finally {
    // A consumer that stops early, or a batch that fails validation, leaves the
    // source suspended: returning it runs its finally (closes the file, releases
    // or stops the Parquet decoder).
    await source.return(undefined).catch(() => undefined);
  }
}

function* slices(batch: RecordBatch, bs: number | undefined): Generator<RecordBatch> {
  if (bs === undefined || batch.numRows <= bs) {
    yield batch;
    return;
  }
  for (let i = 0; i < batch.numRows; i += bs) yield sliceBatch(batch, i, Math.min(i + bs, batch.numRows));
}

function checkColumns(path: string, schema: Schema, columns: string[] | undefined): void {
  if (!columns) return;
  const have = new Set(schema.fields.map((f) => f.name));
  const missing = columns.filter((c) => !have.has(c));
  if (missing.length > 0) {
    throw new OrtqError('ORTQ_SCHEMA_MISMATCH', `${path} has no column ${missing.map((m) => `"${m}"`).join(', ')}; it has ${[...have].join(', ')}`, { path, missing });
  }
}

/**
 * Keeps `columns`, in that order. Not RecordBatch.select: in apache-arrow 21 it
 * returns children whose values buffers are empty.
 */
function project(batch: RecordBatch, columns: string[] | undefined): RecordBatch {
  if (!columns) return batch;
  const idx = columns.map((c) => batch.schema.fields.findIndex((f) => f.name === c));
  const fields = idx.map((i) => batch.schema.fields[i]);
  const children = idx.map((i) => batch.data.children[i]);
  const schema = new Schema(fields, batch.schema.metadata);
  return recordBatch(schema, makeData({ type: new Struct(fields), length: batch.numRows, nullCount: 0, children }));
}

async function* readArrowFile(path: string, opts: ReadOptions): AsyncGenerator<RecordBatch> {
  const reader = await ArrowFileReader.open(path);
  try {
    checkColumns(path, reader.schema, opts.columns);
    const end = Math.min(opts.unitEnd ?? reader.numBatches, reader.numBatches);
    // One batch of read-ahead: the pread (and the page faults of its fresh buffer)
    // runs on the libuv pool while the consumer works on the batch before it.
    let next: Promise<RecordBatch> | null = null;
    try {
      for (let i = opts.unitStart ?? 0; i < end; i++) {
        const batch = await (next ?? reader.readBatch(i, opts.pool));
        next = i + 1 < end ? reader.readBatch(i + 1, opts.pool) : null;
        next?.catch(() => undefined);
        const kept = project(batch, opts.columns);
        // the columns left may view none of the buffer: then nothing handed out holds it
        const sab = opts.pool ? sharedBufferOf(batch) : null;
        if (sab && sharedBufferOf(kept) !== sab) opts.pool!.release(sab);
        yield kept;
      }
    } finally {
      // never close the file under a read still in flight; a read the consumer
      // stopped before gives its shared buffer back
      const unread = await next?.catch(() => null);
      if (unread && opts.pool) opts.pool.releaseBatch(unread);
    }
  } finally {
    await reader.close();
  }
}

/** Streams and CSV files are one unit: unit 0 is the whole file. */
function coversUnitZero(opts: ReadOptions): boolean {
  return (opts.unitStart ?? 0) <= 0 && (opts.unitEnd ?? 1) >= 1;
}

async function* readArrowStream(path: string, opts: ReadOptions): AsyncGenerator<RecordBatch> {
  if (!coversUnitZero(opts)) return;
  registerIpcCodecs();
  const input = createReadStream(path, { highWaterMark: 1 << 20 });
  try {
    const reader = await RecordBatchReader.from(input);
    await reader.open();
    checkColumns(path, reader.schema, opts.columns);
    for await (const batch of reader) yield project(batch, opts.columns);
  } finally {
    input.destroy();
  }
}

/**
 * CSV reads of this process by reader (tests, and the bench's note of which
 * path ran): `duckdb` ended in DuckDB, `typed` of them with its typed query
 * (csv-duckdb.ts); `resumed`: DuckDB stopped and csv-parse read on.
 */
export const csvReads = { duckdb: 0, typed: 0, js: 0, resumed: 0 };

/**
 * CSV: csv.ts infers the types from the first rows (always csv-parse; once per
 * file and process, shared with the planner), then
 * DuckDB reads (csv-duckdb.ts) unless ORTQ_CSV_READER=js or the file is one
 * it would read differently. Whenever the DuckDB query fails (a cell csv.ts
 * rejects, a ragged row, DuckDB failing to load), csv-parse reads on from the
 * first row not yet handed out, so the batches, and the error with its line
 * and column, are exactly csv.ts's.
 */
async function* readCsv(path: string, opts: ReadOptions): AsyncGenerator<RecordBatch> {
  if (!coversUnitZero(opts)) return;
  const layout = await csvLayout(path);
  checkColumns(path, layout.schema, opts.columns);
  const batchSize = opts.batchSize ?? DEFAULT_BATCH;
  let done = 0;
  if (csvReaderSetting() === 'duckdb') {
    try {
      const plan = await csvDuckDbPlan(path, layout, opts.columns);
      if (plan) {
        for await (const batch of readCsvDuckDb(plan, batchSize, opts.pool)) {
          done += batch.numRows;
          yield batch;
        }
        csvReads.duckdb++;
        if (plan.typed) csvReads.typed++;
        return;
      }
    } catch (err) {
      // a setting's error (ORTQ_DUCKDB_CSV_THREADS, ORTQ_DUCKDB_THREADS) fails the read, as for Parquet
      if (err instanceof OrtqError) throw err;
      // csv-parse decides, from row `done` on (every DuckDB batch but the last holds batchSize rows)
      csvReads.resumed++;
    }
  }
  csvReads.js++;
  yield* readCsvBatches(path, layout, { columns: opts.columns, batchSize, skipRows: done });
}

/** Parquet reads of this process by decoder (tests, and the bench's note of which path ran). */
export const parquetReads = { duckdb: 0, wasm: 0 };

/**
 * Parquet: DuckDB (native, the default) reads wherever the columns asked for
 * are flat types it returns byte for byte as the footer's Arrow schema says,
 * parquet-wasm otherwise. ORTQ_PARQUET_READER=wasm forces the wasm decoder
 * (a fallback for a DuckDB problem, and the old path in tests).
 */
async function* readParquet(file: InputFile, opts: ReadOptions): AsyncGenerator<RecordBatch> {
  if (parquetReaderSetting() === 'duckdb') {
    const layout = await parquetLayout(file);
    checkColumns(file.path, layout.schema, opts.columns);
    const plan = duckDbPlan(file.path, layout.schema, layout.unitRows ?? [], opts);
    if (plan) {
      let yielded = false;
      try {
        for await (const batch of readParquetDuckDb(plan, opts.batchSize ?? DEFAULT_BATCH, opts.pool)) {
          yielded = true;
          yield batch;
        }
        parquetReads.duckdb++;
        return;
      } catch (err) {
        // DuckDB refused the file before handing out a row (a codec it lacks, such as
        // Hadoop's LZ4, or a type it reads differently): the wasm decoder decides,
        // so such a file reads, or fails, exactly as it did before DuckDB
        // (DuckDbNotEligible among them). Past the first batch a failure is the file's.
        if (yielded || err instanceof OrtqError) throw err;
      }
    }
  }
  yield* readParquetWasm(file.path, opts);
  parquetReads.wasm++;
}

async function* readParquetWasm(path: string, opts: ReadOptions): AsyncGenerator<RecordBatch> {
  const w = acquireParquetWorker();
  let clean = false;
  try {
    const { unitStart, unitEnd, columns } = opts;
    const opened = await w.request({ op: 'open', path, unitStart, unitEnd, columns, batchSize: opts.batchSize ?? DEFAULT_BATCH });
    if (opened.type === 'end') { clean = true; return; }
    let colsSchema: Schema | undefined;
    let next = w.request({ op: 'next' });
    for (;;) {
      const r = await next;
      if (r.type === 'end') { clean = true; return; }
      // Ask for the next batch before handing this one out: the worker decodes while we score.
      next = w.request({ op: 'next' });
      next.catch(() => undefined);
      if (r.type === 'cols') {
        if (r.schema) {
          colsSchema = schemaFromIpc(r.schema as Uint8Array);
          checkColumns(path, colsSchema, opts.columns);
        }
        if (!colsSchema) throw new Error('the decoder sent columns before a schema');
        yield project(batchFromTransferred(colsSchema, r.rows as number, r.cols as TransferredColumn[]), opts.columns);
        continue;
      }
      const reader = RecordBatchReader.from(r.ipc as Uint8Array);
      for (const batch of reader) {
        checkColumns(path, batch.schema, opts.columns);
        yield project(batch, opts.columns);
      }
    }
  } finally {
    releaseParquetWorker(w, clean);
  }
}
