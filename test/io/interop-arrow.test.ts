import { readdirSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inspectInput } from '../../src/io/inspect.js';
import { closeParquetWorkers } from '../../src/io/parquet-host.js';
import { readBatches } from '../../src/io/read.js';
import { columnValues, inputFile, INTEROP, readAll } from './helpers.js';

const DIR = join(INTEROP, 'arrow');
const names = readdirSync(DIR).filter((f) => f.endsWith('.arrow_file')).map((f) => f.replace(/\.arrow_file$/, ''));

interface JsonColumn { name: string; count: number; VALIDITY?: number[]; DATA?: unknown[] }
interface JsonFile {
  schema: { fields: Array<{ name: string; type: { name: string; bitWidth?: number; precision?: string }; dictionary?: unknown }> };
  batches: Array<{ count: number; columns: JsonColumn[] }>;
}

function expected(name: string): JsonFile {
  return JSON.parse(gunzipSync(readFileSync(join(DIR, `${name}.json.gz`))).toString('utf8')) as JsonFile;
}

/** Integer and floating-point columns of the integration JSON, flattened over batches. */
function numericExpectations(json: JsonFile): Map<string, { values: unknown[]; float: boolean }> {
  const out = new Map<string, { values: unknown[]; float: boolean }>();
  for (const f of json.schema.fields) {
    if (f.dictionary) continue; // JSON DATA holds the indices, not the values
    if (f.type.name !== 'int' && !(f.type.name === 'floatingpoint' && f.type.precision !== 'HALF')) continue;
    const values: unknown[] = [];
    for (const b of json.batches) {
      const c = b.columns.find((x) => x.name === f.name)!;
      for (let i = 0; i < c.count; i++) {
        values.push(c.VALIDITY && c.VALIDITY[i] === 0 ? null : c.DATA![i]);
      }
    }
    out.set(f.name, { values, float: f.type.name === 'floatingpoint' });
  }
  return out;
}

afterAll(() => closeParquetWorkers());

describe('Arrow IPC golden files (arrow-testing integration)', () => {
  for (const name of names) {
    for (const ext of ['arrow_file', 'stream'] as const) {
      it(`${name}.${ext} reads and matches its JSON`, { timeout: 20_000 }, async () => {
        const file = await inputFile(join(DIR, `${name}.${ext}`), ext === 'stream' ? 'arrows' : 'arrow');
        const json = expected(name);
        const layout = await inspectInput(file);
        expect(layout.schema.fields.map((f) => f.name)).toEqual(json.schema.fields.map((f) => f.name));
        if (ext === 'arrow_file') {
          expect(layout.units).toBe(json.batches.length);
          expect(layout.unitRows).toEqual(json.batches.map((b) => b.count));
        }
        const batches = await readAll(file);
        const rows = batches.reduce((n, b) => n + b.numRows, 0);
        expect(rows).toBe(json.batches.reduce((n, b) => n + b.count, 0));
        for (const [col, exp] of numericExpectations(json)) {
          const got = columnValues(batches, col);
          expect(got.length, col).toBe(exp.values.length);
          for (let i = 0; i < got.length; i++) {
            if (exp.values[i] === null) { expect(got[i], `${col}[${i}]`).toBeNull(); continue; }
            if (exp.float) expect(got[i] as number, `${col}[${i}]`).toBeCloseTo(Number(exp.values[i]), 3);
            else expect(String(got[i]), `${col}[${i}]`).toBe(String(exp.values[i]));
          }
        }
      });
    }
  }

  it('reads IPC-file units independently and slices to batchSize', async () => {
    const file = await inputFile(join(DIR, 'generated_primitive.arrow_file'), 'arrow');
    const layout = await inspectInput(file);
    const all = columnValues(await readAll(file), 'int32_nullable');
    const parts: unknown[] = [];
    for (let u = 0; u < layout.units; u++) {
      const bs = await readAll(file, { unitStart: u, unitEnd: u + 1, batchSize: 3, columns: ['int32_nullable'] });
      for (const b of bs) {
        expect(b.numRows).toBeLessThanOrEqual(3);
        expect(b.schema.fields.map((f) => f.name)).toEqual(['int32_nullable']);
      }
      parts.push(...columnValues(bs, 'int32_nullable'));
    }
    expect(parts).toEqual(all);
  });

  it.runIf(process.platform === 'linux')('a consumer that stops early does not leak the file handle', async () => {
    const file = await inputFile(join(DIR, 'generated_primitive.arrow_file'), 'arrow');
    const openFds = (): number => readdirSync('/proc/self/fd').length;
    const before = openFds();
    for (let i = 0; i < 10; i++) {
      for await (const b of readBatches(file)) { expect(b.numRows).toBeGreaterThan(0); break; }
    }
    expect(openFds()).toBe(before);
  });
});
