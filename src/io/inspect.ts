import { createReadStream } from 'node:fs';
import { fileVersionCache } from '../fs/version-cache.js';
import { RecordBatchReader, type Schema } from 'apache-arrow';
import { parquetReaderSetting } from '../config.js';
import { registerIpcCodecs } from './codecs.js';
import { asInputError } from './corrupt.js';
import { csvLayout } from './csv.js';
import type { InputFile } from './discover.js';
import { ArrowFileReader } from './ipc-file.js';
import { schemaFromIpc } from './parquet-columns.js';
import { parquetFooterLayout } from './parquet-footer.js';
import { acquireParquetWorker, releaseParquetWorker } from './parquet-host.js';

/** What the planner needs to know about a file before reading it. */
export interface InputLayout {
  schema: Schema;
  /** total rows where the format tells without reading the data */
  rows: number | null;
  /** rows per unit (Parquet row group, IPC-file record batch) where known */
  unitRows: number[] | null;
  /** independently readable units; 1 for .arrows streams and CSV */
  units: number;
}

/**
 * Reads only metadata: the Parquet footer, the Arrow IPC footer plus message
 * headers, the first message of a stream, or a CSV header and CSV_INFER_ROWS rows.
 */
export async function inspectInput(file: InputFile): Promise<InputLayout> {
  try {
    switch (file.format) {
      // the same cached footer the reader then takes for each shard (parquetLayout)
      case 'parquet': return await parquetLayout(file);
      case 'arrow': return await inspectArrowFile(file.path);
      case 'arrows': return { schema: await streamSchema(file.path), rows: null, unitRows: null, units: 1 };
      case 'csv': return { schema: (await csvLayout(file.path)).schema, rows: null, unitRows: null, units: 1 };
    }
  } catch (err) {
    throw asInputError(file.path, file.format, err);
  }
}

const parquetLayoutOf = fileVersionCache(32, inspectParquet);

/**
 * The footer's layout of a Parquet file, parsed once per path, size, mtime
 * and inode in this process (the reader needs it for every shard of the file).
 * The key is the file's own stat, not `file`'s fields: the shard runner's
 * InputFile carries the planned size and no mtime, so a file replaced by
 * another of the same size would otherwise keep the old footer.
 */
export async function parquetLayout(file: InputFile): Promise<InputLayout> {
  return parquetLayoutOf(file.path);
}

/**
 * The footer's layout, read in this thread where parquet-footer.ts knows
 * arrow-rs's answer exactly, through parquet-wasm otherwise (and always with
 * ORTQ_PARQUET_READER=wasm); both give the same schema and row groups.
 */
async function inspectParquet(path: string): Promise<InputLayout> {
  if (parquetReaderSetting() === 'duckdb') {
    const f = await parquetFooterLayout(path);
    if ('layout' in f) {
      const { schema, rows, unitRows } = f.layout;
      parquetInspects.footer++;
      return { schema, rows, unitRows, units: unitRows.length };
    }
  }
  parquetInspects.wasm++;
  return inspectParquetWasm(path);
}

/** Parquet footers read by this process, by reader (tests, the bench). */
export const parquetInspects = { footer: 0, wasm: 0 };

/** parquet-wasm's (arrow-rs's) reading of the footer, in a decode worker. */
export async function inspectParquetWasm(path: string): Promise<InputLayout> {
  const w = acquireParquetWorker();
  let ok = false;
  try {
    const r = await w.request({ op: 'inspect', path });
    const unitRows = (r.unitRows as number[]).map(Number);
    const schema = schemaFromIpc(r.schema as Uint8Array);
    ok = true;
    return { schema, rows: Number(r.rows), unitRows, units: unitRows.length };
  } finally {
    releaseParquetWorker(w, ok);
  }
}

async function inspectArrowFile(path: string): Promise<InputLayout> {
  const reader = await ArrowFileReader.open(path);
  try {
    const unitRows = await reader.batchRows();
    return { schema: reader.schema, rows: unitRows.reduce((a, b) => a + b, 0), unitRows, units: unitRows.length };
  } finally {
    await reader.close();
  }
}

async function streamSchema(path: string): Promise<Schema> {
  registerIpcCodecs();
  const input = createReadStream(path);
  try {
    const reader = await RecordBatchReader.from(input);
    await reader.open();
    if (!reader.schema) throw new Error('the stream holds no schema message');
    return reader.schema;
  } finally {
    input.destroy();
  }
}
