import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { duckDbThreadsSetting, type DuckDbFormat } from '../config.js';
import { rootLogger } from '../logger.js';

/**
 * In-process DuckDB databases (in memory, no files of their own) shared by
 * every reader of this process, one per thread count: DuckDB's threads are a
 * setting of the whole database, and CSV and Parquet want different ones
 * (ORTQ_DUCKDB_CSV_THREADS, ORTQ_DUCKDB_PARQUET_THREADS, ORTQ_DUCKDB_THREADS
 * for both; by default 2 for CSV, 1 for Parquet, see duckDbThreadsSetting).
 * With the same count for both formats, both use one database. Each read gets
 * its own connection, because a connection runs one streaming query at a time.
 *
 * Threads: a streaming result is produced on the libuv thread that runs each
 * fetch, so one DuckDB thread already decodes while the main thread copies
 * and scores. A second thread parses another part of a CSV file at once
 * (the rows still in file order, see streamDuckDbBatches), which a Parquet
 * read did not gain from (docs/perf/readers.md, "DuckDB threads").
 * Extensions are never installed or loaded at run time: Parquet and CSV are
 * built into the package's binary, and a worker must not reach the network.
 * The native module is loaded on first use: where it cannot load (a platform
 * without a prebuilt binary), the first read fails before its first batch and
 * read.ts reads with parquet-wasm (Parquet) or csv-parse (CSV) instead;
 * that is logged once per process, at warn.
 */
const instances = new Map<number, Promise<DuckDBInstance>>();
let warned = false;

async function open(threads: number): Promise<DuckDBInstance> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
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
  return db;
}

/** A connection to a database of `threads` threads, and that count (the query's plan depends on it: duckdb-batches.ts). */
export interface DuckDbConnection {
  con: DuckDBConnection;
  threads: number;
}

/**
 * A new connection for reading `format`, on the threads its setting gives.
 * A wrong setting throws its ORTQ_CONFIG_INVALID, which fails the read
 * instead of handing it to the other reader (see read.ts).
 */
export async function duckDbConnect(format: DuckDbFormat): Promise<DuckDbConnection> {
  const threads = duckDbThreadsSetting(format);
  let instance = instances.get(threads);
  if (!instance) {
    instance = open(threads).catch((err: unknown) => {
      instances.delete(threads);
      if (!warned) {
        warned = true;
        rootLogger().warn({ err }, 'DuckDB did not start: Parquet is read with parquet-wasm and CSV with csv-parse instead');
      }
      throw err;
    });
    instances.set(threads, instance);
  }
  return { con: await (await instance).connect(), threads };
}

/** Closes the shared databases (tests, shutdown); the next read opens new ones. */
export async function closeDuckDb(): Promise<void> {
  const open = [...instances.values()];
  instances.clear();
  for (const i of open) (await i.catch(() => null))?.closeSync();
}
