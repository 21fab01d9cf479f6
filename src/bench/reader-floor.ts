/**
 * The floor under the Parquet and CSV rows of `npm run bench` (issue 10):
 * how fast DuckDB, ortq's reader for both, gets through the same file alone,
 * on as many threads as ortq's reader gives it (ORTQ_DUCKDB_CSV_THREADS, default 2;
 * ORTQ_DUCKDB_PARQUET_THREADS, default 1; ORTQ_DUCKDB_THREADS sets both),
 * with nothing copied out and nothing checked. No pipeline
 * that reads the file through DuckDB can score faster than this, so
 * `floor / bare` bounds the ratio those rows can reach on this machine.
 *
 *   Parquet: every column of every row fetched (a streaming query, each 2048-row chunk decoded, none copied)
 *   CSV:     the file split into cells (`count(*)` over VARCHAR columns: no value parsed, none copied)
 *
 *   node dist/bench/reader-floor.js FILE...   prints {"rowsPerSec", "seconds", "cpuSeconds", ...} as one JSON line
 *   node dist/bench/reader-floor.js --typed FILE.csv...   CSV: DuckDB's own DOUBLE parse instead (every
 *       column, ortq's typed read_csv options, every chunk fetched, none copied): the floor of
 *       ortq's typed CSV query (src/io/csv-duckdb.ts), and the bench's floor column for CSV
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { duckDbThreadsSetting } from '../config.js';
import { peakRssMb } from './peak-rss.js';

function cpuSeconds(): number {
  const u = process.resourceUsage();
  return (u.userCPUTime + u.systemCPUTime) / 1e6;
}

const sqlString = (s: string) => `'${s.replace(/'/g, "''")}'`;

async function main(): Promise<void> {
  const typed = process.argv[2] === '--typed';
  const files = process.argv.slice(typed ? 3 : 2);
  if (files.length === 0) throw new Error('usage: reader-floor.js [--typed] FILE...');
  const csv = files[0].endsWith('.csv');
  const threads = duckDbThreadsSetting(csv ? 'csv' : 'parquet');
  const db = await DuckDBInstance.create(':memory:', { threads: String(threads), enable_external_file_cache: 'false', temp_directory: '' });
  const con = await db.connect();
  const list = `[${files.map(sqlString).join(', ')}]`;
  let columns = 0;
  if (csv) {
    const head = await con.runAndReadAll(`SELECT * FROM read_csv(${sqlString(files[0])}, header = true) LIMIT 0`);
    columns = head.columnCount;
  }
  const cols = `{${Array.from({ length: columns }, (_, i) => `'c${i}': '${typed ? 'DOUBLE' : 'VARCHAR'}'`).join(', ')}}`;
  const query = csv && typed
    ? `SELECT * FROM read_csv(${list}, columns = ${cols}, auto_detect = false, header = true, buffer_size = ${2 << 20}, max_line_size = ${2 << 20}, `
      + `delim = ',', quote = '"', escape = '"', null_padding = false, strict_mode = true)`
    : csv
      ? `SELECT count(*) FROM read_csv(${list}, columns = ${cols}, auto_detect = false, header = true, delim = ',', quote = '"', escape = '"')`
      : `SELECT * FROM read_parquet(${list})`;
  // two passes, the second reported: the first pays for DuckDB's start and the footers (ortq's reader caches them too)
  let best = { rows: 0, seconds: 0, cpu: 0 };
  for (let pass = 0; pass < 2; pass++) {
    const cpu0 = cpuSeconds();
    const t0 = performance.now();
    let rows = 0;
    if (csv && !typed) {
      rows = Number((await con.runAndReadAll(query)).getRows()[0][0]);
    } else {
      const result = await (await con.prepare(query)).stream();
      let pending = result.fetchChunk();
      for (;;) {
        const chunk = await pending;
        if (!chunk || chunk.rowCount === 0) break;
        pending = result.fetchChunk();
        rows += chunk.rowCount;
      }
    }
    best = { rows, seconds: (performance.now() - t0) / 1000, cpu: cpuSeconds() - cpu0 };
  }
  const { rows, seconds, cpu } = best;
  con.closeSync();
  process.stdout.write(`${JSON.stringify({ rowsPerSec: rows / seconds, seconds, cpuSeconds: cpu, rowsPerCpuSec: rows / cpu, threads, maxRssMb: peakRssMb() })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
