import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeDuckDb, duckDbConnect } from '../../src/io/duckdb-host.js';
import { csvReads, parquetReads } from '../../src/io/read.js';
import { INTEROP, inputFile, readAll } from './helpers.js';

/**
 * DuckDB's threads are a setting of a whole database, so duckdb-host.ts keeps
 * one database per thread count: CSV (2 by default) and Parquet (1) read in
 * one process each on their own.
 */
const VARS = ['ORTQ_DUCKDB_THREADS', 'ORTQ_DUCKDB_CSV_THREADS', 'ORTQ_DUCKDB_PARQUET_THREADS', 'ORTQ_CSV_READER', 'ORTQ_PARQUET_READER'] as const;
const saved = Object.fromEntries(VARS.map((v) => [v, process.env[v]]));
let dir: string;

beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'ortq-duckdb-host-')); });
afterEach(async () => {
  await closeDuckDb();
  for (const v of VARS) {
    if (saved[v] === undefined) delete process.env[v];
    else process.env[v] = saved[v];
  }
});
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

async function threadsOf(format: 'csv' | 'parquet'): Promise<{ threads: number; setting: number }> {
  const { con, threads } = await duckDbConnect(format);
  try {
    const setting = Number((await con.runAndReadAll(`SELECT current_setting('threads')`)).getRows()[0][0]);
    return { threads, setting };
  } finally {
    con.closeSync();
  }
}

describe('DuckDB databases per thread count', () => {
  it('by default CSV runs on a database of 2 threads and Parquet on one of 1, and both read in one process', async () => {
    for (const v of VARS) delete process.env[v];
    expect(await threadsOf('csv')).toEqual({ threads: 2, setting: 2 });
    expect(await threadsOf('parquet')).toEqual({ threads: 1, setting: 1 });
    const csv = join(dir, 'a.csv');
    await writeFile(csv, `x,y\n${Array.from({ length: 5000 }, (_, i) => `${i},${i / 4}`).join('\n')}\n`);
    const before = { csv: csvReads.duckdb, parquet: parquetReads.duckdb };
    // alternated: each read gets a connection to its own database
    for (let i = 0; i < 2; i++) {
      const c = await readAll(await inputFile(csv));
      expect(c.reduce((n, b) => n + b.numRows, 0)).toBe(5000);
      const p = await readAll(await inputFile(join(INTEROP, 'parquet', 'single_nan.parquet')));
      expect(p.reduce((n, b) => n + b.numRows, 0)).toBe(1);
    }
    expect(csvReads.duckdb - before.csv).toBe(2);
    expect(parquetReads.duckdb - before.parquet).toBe(2);
  });

  it('ORTQ_DUCKDB_THREADS sets both; a per-format variable wins; the same count shares one database', async () => {
    process.env.ORTQ_DUCKDB_THREADS = '3';
    process.env.ORTQ_DUCKDB_CSV_THREADS = '1';
    expect(await threadsOf('csv')).toEqual({ threads: 1, setting: 1 });
    expect(await threadsOf('parquet')).toEqual({ threads: 3, setting: 3 });
    process.env.ORTQ_DUCKDB_PARQUET_THREADS = '1';
    const a = await duckDbConnect('csv');
    const b = await duckDbConnect('parquet');
    try {
      // a table made through one connection is seen through the other: one database
      await a.con.run('CREATE TABLE shared_probe AS SELECT 42 AS v');
      expect((await b.con.runAndReadAll('SELECT v FROM shared_probe')).getRows()).toEqual([[42]]);
    } finally {
      a.con.closeSync();
      b.con.closeSync();
    }
  });
});
