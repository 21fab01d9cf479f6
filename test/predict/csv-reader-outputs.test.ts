import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
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
