import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { closeDuckDb } from '../../src/io/duckdb-host.js';
import { csvReads } from '../../src/io/read.js';
import { parseJob } from '../../src/predict/job-spec.js';
import { runLocal } from '../../src/predict/local-run.js';
import { cols, partFiles, readerOutputsFixture, ROWS } from './reader-outputs-fixture.js';

/**
 * A predict job over CSV gives the same output files whether DuckDB or
 * csv-parse read the input (issue 10: outputs byte-identical), for every
 * output format: Int64 ids above 2^53, exponents, NaN/inf spellings, negative
 * zero, empty cells (nulls in features and passthrough), quoted strings with
 * commas and line breaks, CRLF line endings and a BOM.
 */
const fx = readerOutputsFixture('ortq-csv-out-', 'ORTQ_CSV_READER');

function csv(crlf: boolean): string {
  const nl = crlf ? '\r\n' : '\n';
  const special = ['NaN', '-inf', 'Infinity', '-0', '1e-400', '1.5E+3', '-2.5e-7', '.5'];
  const lines = [`\ufeffid,${cols.join(',')},name,w`];
  for (let i = 0; i < ROWS; i++) {
    const f = cols.map((_, j) => {
      if (j === 2 && i % 17 === 0) return '';
      if (j === 3 && i % 101 === 0) return special[(i / 101) % special.length];
      return String(Math.sin(i * 0.37 + j * 1.3) * 3);
    });
    const name = i % 5 === 0 ? '' : i % 7 === 0 ? `"row ${i}, with a comma${nl}and a line break, ü"` : `row ${i}`;
    lines.push(`${9007199254740993n + BigInt(i) * 3n},${f.join(',')},${name},${i / 8}`);
  }
  return lines.join(nl) + nl;
}

beforeAll(async () => {
  await writeFile(join(fx.dir, 'lf.csv'), csv(false));
  await writeFile(join(fx.dir, 'crlf.csv'), csv(true));
});

async function run(input: string, format: string, reader: 'js' | 'duckdb'): Promise<Map<string, Buffer>> {
  process.env.ORTQ_CSV_READER = reader;
  const job = parseJob({
    name: 'csv', model: 'm', input: { path: input }, features: { input: cols }, passthrough: ['id', 'name', 'w'],
    nulls: { fill: 0 }, output: { path: `out-${input}-${format}-${reader}`, format }, batchSize: 512,
  }, { baseDir: fx.dir });
  const before = { ...csvReads };
  const { manifest, plan } = await runLocal(job, { repo: fx.repo });
  // read by the reader asked for, never handed over
  expect(csvReads[reader] - before[reader]).toBeGreaterThan(0);
  expect(csvReads.resumed).toBe(before.resumed);
  expect(manifest.rows).toEqual({ read: ROWS, written: ROWS, skipped: 0 });
  return partFiles(plan.runDir);
}

describe('CSV input: DuckDB reader vs csv-parse, end to end', () => {
  for (const format of ['parquet', 'arrow', 'csv']) {
    it(`byte-identical ${format} outputs`, { timeout: 120_000 }, async () => {
      for (const input of ['lf.csv', 'crlf.csv']) {
        const a = await run(input, format, 'js');
        const b = await run(input, format, 'duckdb');
        expect([...b.keys()]).toEqual([...a.keys()]);
        expect(a.size).toBeGreaterThan(0);
        for (const [name, bytes] of a) expect(b.get(name)!.equals(bytes), `${input} ${name}`).toBe(true);
      }
    });
  }
});

describe('CSV input on two DuckDB threads (ORTQ_DUCKDB_THREADS=2), end to end', () => {
  it('a job of three CSV shards, each several of DuckDB\'s 2 MB buffers, writes the parts of the one-thread run byte for byte', { timeout: 180_000 }, async () => {
    const input = join(fx.dir, 'shards');
    await mkdir(input, { recursive: true });
    for (let s = 0; s < 3; s++) {
      const lines = [`id,${cols.join(',')},name,w`];
      for (let i = 0; i < 60_000; i++) {
        const f = cols.map((_, j) => (j === 1 && i % 23 === 0 ? '' : String(Math.sin((s * 60_000 + i) * 0.37 + j * 1.3) * 3)));
        lines.push(`${s * 60_000 + i},${f.join(',')},${i % 5 === 0 ? '' : `r${i}`},${i / 8}`);
      }
      await writeFile(join(input, `part-${s}.csv`), `${lines.join('\n')}\n`);
    }
    const threads = process.env.ORTQ_DUCKDB_THREADS;
    process.env.ORTQ_CSV_READER = 'duckdb';
    const out = new Map<string, Map<string, Buffer>>();
    try {
      for (const t of ['1', '2']) {
        await closeDuckDb();
        process.env.ORTQ_DUCKDB_THREADS = t;
        const job = parseJob({
          name: 'csv-threads', model: 'm', input: { path: 'shards' }, features: { input: cols }, passthrough: ['id', 'name', 'w'],
          nulls: { fill: 0 }, output: { path: `out-threads-${t}`, format: 'arrow' }, batchSize: 4096,
        }, { baseDir: fx.dir });
        const before = { ...csvReads };
        const { manifest, plan } = await runLocal(job, { repo: fx.repo });
        expect(csvReads.typed - before.typed).toBe(3);
        expect(csvReads.resumed).toBe(before.resumed);
        expect(manifest.rows).toEqual({ read: 180_000, written: 180_000, skipped: 0 });
        out.set(t, await partFiles(plan.runDir));
      }
    } finally {
      await closeDuckDb();
      if (threads === undefined) delete process.env.ORTQ_DUCKDB_THREADS;
      else process.env.ORTQ_DUCKDB_THREADS = threads;
    }
    const [a, b] = [out.get('1')!, out.get('2')!];
    expect(a.size).toBe(3);
    expect([...b.keys()]).toEqual([...a.keys()]);
    for (const [name, bytes] of a) expect(b.get(name)!.equals(bytes), name).toBe(true);
  });
});
