import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { duckDbThreadsSetting } from '../config.js';
import { OrtqError } from '../errors.js';
import { rootLogger } from '../logger.js';

/**
 * One in-process DuckDB database (in memory, no files of its own) shared by
 * every reader of this process; each read gets its own connection, because a
 * connection runs one streaming query at a time.
 *
 * Threads: 1 by default (ORTQ_DUCKDB_THREADS overrides). A streaming result
 * is produced on the libuv thread that runs each fetch, so one DuckDB thread
 * already decodes while the main thread copies and scores; more threads only
 * compete with onnxruntime for the same cores.
 * Extensions are never installed or loaded at run time: Parquet and CSV are
 * built into the package's binary, and a worker must not reach the network.
 * The native module is loaded on first use: where it cannot load (a platform
 * without a prebuilt binary), the first read fails before its first batch and
 * read.ts reads with parquet-wasm (Parquet) or csv-parse (CSV) instead;
 * that is logged once per process, at warn.
 */
let instance: Promise<DuckDBInstance> | null = null;
let warned = false;
/** the threads the open database was created with */
let openThreads = 1;

async function open(): Promise<DuckDBInstance> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const threads = duckDbThreadsSetting();
  const db = await DuckDBInstance.create(':memory:', {
    threads: String(threads),
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
    // no block cache beside the reader's own buffers: memory stays flat
    enable_external_file_cache: 'false',
    // a streaming scan never spills; and DuckDB must not leave a .tmp/ in the working directory
    temp_directory: '',
  });
  const con = await db.connect();
  try {
    // footers of files read shard after shard are parsed once (the Parquet reader's own setting)
    await con.run('SET GLOBAL parquet_metadata_cache = true');
  } finally {
    con.closeSync();
  }
  openThreads = threads;
  return db;
}

export async function duckDbConnect(): Promise<DuckDBConnection> {
  instance ??= open().catch((err: unknown) => {
    instance = null;
    // a setting's own error (ORTQ_DUCKDB_THREADS) fails the read instead: see read.ts
    if (!warned && !(err instanceof OrtqError)) {
      warned = true;
      rootLogger().warn({ err }, 'DuckDB did not start: Parquet is read with parquet-wasm and CSV with csv-parse instead');
    }
    throw err;
  });
  return (await instance).connect();
}

/** DuckDB's threads in the database duckDbConnect connects to (after a connect). */
export function duckDbThreads(): number {
  return openThreads;
}

/** Closes the shared database (tests, shutdown); the next read opens a new one. */
export async function closeDuckDb(): Promise<void> {
  const i = instance;
  instance = null;
  if (i) (await i.catch(() => null))?.closeSync();
}
