/**
 * Micro benchmark of a reader alone: rows/s of readBatches over one file, no
 * model, no output. Two passes (the first pays for JIT, the DuckDB instance or
 * the wasm decoder's compile); CPU is the whole process, decoder threads included.
 *
 *   node dist/bench/reader.js FILE [--reader duckdb|wasm|js] [--batch 65536] [--passes 2] [--pool]
 *
 * `--pool` reads into a shared read pool, each batch given back once counted,
 * as a predict shard does on the shared path (Arrow IPC, and DuckDB's Parquet and CSV).
 *
 * `--reader` sets ORTQ_PARQUET_READER for Parquet files (duckdb|wasm) and
 * ORTQ_CSV_READER for CSV files (duckdb|js); Arrow ignores it.
 */
import { parseArgs } from 'node:util';
import { discoverInputs } from '../io/discover.js';
import { closeDuckDb } from '../io/duckdb-host.js';
import { closeParquetWorkers } from '../io/parquet-host.js';
import { csvReads, parquetReads, readBatches } from '../io/read.js';
import { SharedReadPool } from '../io/shared-pool.js';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { reader: { type: 'string' }, batch: { type: 'string', default: '65536' }, passes: { type: 'string', default: '2' }, pool: { type: 'boolean', default: false } },
  });
  if (positionals.length !== 1) throw new Error('usage: reader.js FILE [--reader duckdb|wasm|js] [--batch N] [--passes N]');
  const [file] = await discoverInputs(positionals[0]);
  if (values.reader) process.env[file.format === 'csv' ? 'ORTQ_CSV_READER' : 'ORTQ_PARQUET_READER'] = values.reader;
  const batchSize = Number(values.batch);
  const pool = values.pool ? new SharedReadPool() : undefined;
  for (let pass = 1; pass <= Number(values.passes); pass++) {
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let rows = 0;
    let cols = 0;
    for await (const b of readBatches(file, { batchSize, pool })) {
      rows += b.numRows;
      cols = b.numCols;
      pool?.releaseBatch(b);
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    const s = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuS = (cpu.user + cpu.system) / 1e6;
    const via = file.format === 'parquet' ? ` via ${parquetReads.duckdb > 0 ? 'duckdb' : 'wasm'}`
      : file.format === 'csv' ? ` via ${csvReads.resumed > 0 ? 'duckdb, handed to js' : csvReads.typed > 0 ? 'duckdb (typed)' : csvReads.duckdb > 0 ? 'duckdb' : 'js'}` : '';
    process.stdout.write(`${file.format}${via} pass ${pass}: ${rows} rows × ${cols} columns in ${s.toFixed(2)} s = ${(rows / s / 1e6).toFixed(2)} M rows/s, `
      + `${(file.size / s / 1e6).toFixed(0)} MB/s, CPU ${cpuS.toFixed(2)} s (${(cpuS / s).toFixed(2)} cores), RSS +${((peak - rss0) / 1e6).toFixed(0)} MB\n`);
  }
  closeParquetWorkers();
  await closeDuckDb();
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
