import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it } from 'vitest';
import { isOrtqError } from '../../src/errors.js';
import { inspectInput } from '../../src/io/inspect.js';
import { closeParquetWorkers } from '../../src/io/parquet-host.js';
import { columnValues, inputFile, INTEROP, readAll } from './helpers.js';

const DIR = join(INTEROP, 'parquet');
const files = readdirSync(DIR).filter((f) => f.endsWith('.parquet')).sort();
/** parquet-wasm 0.8 panics (wasm `unreachable`) on this file; it must surface as ORTQ_INPUT_CORRUPT. */
const KNOWN_ABORT = new Set(['large_string_map.brotli.parquet']);

afterAll(() => closeParquetWorkers());

describe('Parquet golden files (parquet-testing)', () => {
  for (const name of files) {
    // large_string_map.brotli.parquet grows the decoder to GBs before it aborts (10-15 s alone, far more on a loaded box)
    it(`${name}`, { timeout: KNOWN_ABORT.has(name) ? 180_000 : 30_000 }, async () => {
      const file = await inputFile(join(DIR, name));
      if (KNOWN_ABORT.has(name)) {
        const err = await readAll(file).catch((e: unknown) => e);
        expect(isOrtqError(err, 'ORTQ_INPUT_CORRUPT'), String(err)).toBe(true);
        expect((err as Error).message).toContain(name);
        return;
      }
      const layout = await inspectInput(file);
      expect(layout.units).toBe(layout.unitRows!.length);
      const batches = await readAll(file, { batchSize: 1000 });
      const rows = batches.reduce((n, b) => n + b.numRows, 0);
      expect(rows).toBe(layout.rows);
      for (const b of batches) expect(b.numRows).toBeLessThanOrEqual(1000);

      const expectCsv = join(DIR, name.replace(/\.parquet$/, '_expect.csv'));
      let text: string;
      try { text = readFileSync(expectCsv, 'utf8'); } catch { return; }
      const records = parse(text, { columns: true }) as Array<Record<string, string>>;
      expect(rows).toBe(records.length);
      for (const field of layout.schema.fields) {
        if (!/^(Int|Uint|Float)/.test(String(field.type))) continue;
        const key = Object.keys(records[0]).find((k) => k.trim() === field.name.trim())!;
        const got = columnValues(batches, field.name);
        for (let i = 0; i < records.length; i++) {
          const want = records[i][key];
          if (want === '' || want === undefined) expect(got[i], `${field.name}[${i}]`).toBeNull();
          else expect(String(got[i]), `${field.name}[${i}]`).toBe(want);
        }
      }
    });
  }

  it('a poisoned decoder does not affect the next file', { timeout: 180_000 }, async () => {
    const bad = await inputFile(join(DIR, 'large_string_map.brotli.parquet'));
    const good = await inputFile(join(DIR, 'alltypes_plain.parquet'));
    await expect(readAll(bad)).rejects.toMatchObject({ code: 'ORTQ_INPUT_CORRUPT' });
    const batches = await readAll(good);
    expect(columnValues(batches, 'id')).toEqual([4, 5, 6, 7, 2, 3, 0, 1]);
  });

  it('reads selected row groups with column projection', { timeout: 30_000 }, async () => {
    const file = await inputFile(join(DIR, 'alltypes_tiny_pages.parquet'));
    const layout = await inspectInput(file);
    const all = columnValues(await readAll(file, { columns: ['id'] }), 'id');
    const pieces: unknown[] = [];
    for (let u = 0; u < layout.units; u++) {
      const bs = await readAll(file, { unitStart: u, unitEnd: u + 1, columns: ['int_col', 'id'] });
      for (const b of bs) expect(b.schema.fields.map((f) => f.name)).toEqual(['int_col', 'id']);
      pieces.push(...columnValues(bs, 'id'));
    }
    expect(pieces).toEqual(all);
    expect(all.length).toBe(layout.rows);
    // a range past the last row group is empty; one that runs past it is clamped
    expect(await readAll(file, { unitStart: layout.units, unitEnd: layout.units + 1 })).toEqual([]);
    expect(columnValues(await readAll(file, { unitStart: 0, unitEnd: layout.units + 5, columns: ['id'] }), 'id')).toEqual(all);
  });
});
