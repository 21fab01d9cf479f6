import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeVector, RecordBatch, tableFromArrays, vectorFromArray, Utf8, type Table } from 'apache-arrow';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeParquetWorkers } from '../../src/io/parquet-host.js';
import { digestBytes } from '../../src/io/digest.js';
import { createPartWriter } from '../../src/io/write.js';
import type { OutputFormat } from '../../src/predict/types.js';
import { columnValues, inputFile, readAll } from './helpers.js';

let dir: string;
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'ortq-io-write-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });
afterAll(() => closeParquetWorkers());

function sample(offset: number, n: number): RecordBatch {
  const id = Int32Array.from({ length: n }, (_, i) => offset + i);
  const score = Float32Array.from({ length: n }, (_, i) => (offset + i) / 8);
  const label = Array.from({ length: n }, (_, i) => (i % 5 === 0 ? null : `r${offset + i}, "q"\n`));
  const table: Table = tableFromArrays({ id, score });
  const batch = table.batches[0];
  const labelVec = vectorFromArray(label, new Utf8());
  return new RecordBatch({ id: batch.getChild('id')!.data[0], score: batch.getChild('score')!.data[0], label: labelVec.data[0] });
}

const EXT: Record<OutputFormat, string> = { parquet: 'parquet', arrow: 'arrow', csv: 'csv' };

describe('createPartWriter', () => {
  for (const format of ['parquet', 'arrow', 'csv'] as const) {
    it(`${format}: round-trips, reports rows/bytes/digest, leaves no temp file`, async () => {
      const path = join(dir, `part-00000.${EXT[format]}`);
      const w = createPartWriter(path, format);
      await w.write(sample(0, 100));
      await w.write(sample(100, 57));
      const r = await w.commit();
      expect(r.rows).toBe(157);
      const bytes = await readFile(path);
      expect(r.bytes).toBe(bytes.length);
      expect(r.digest).toBe(digestBytes(bytes));
      expect(await readdir(dir)).toEqual([`part-00000.${EXT[format]}`]);

      const batches = await readAll(await inputFile(path));
      // CSV integers read back as Int64 (columnValues gives them as strings)
      expect(columnValues(batches, 'id').map(Number)).toEqual(Array.from({ length: 157 }, (_, i) => i));
      expect(columnValues(batches, 'score')).toEqual(Array.from({ length: 157 }, (_, i) => i / 8));
      const label = (i: number): string | null => ((i < 100 ? i : i - 100) % 5 === 0 ? null : `r${i}, "q"\n`);
      expect(columnValues(batches, 'label')).toEqual(Array.from({ length: 157 }, (_, i) => label(i)));
    });

    it(`${format}: identical batches give byte-identical files`, async () => {
      const a = join(dir, `a.${EXT[format]}`);
      const b = join(dir, `b.${EXT[format]}`);
      for (const p of [a, b]) {
        const w = createPartWriter(p, format);
        await w.write(sample(0, 1000));
        await w.write(sample(1000, 10));
        await w.commit();
      }
      expect((await readFile(a)).equals(await readFile(b))).toBe(true);
    });

    it(`${format}: abort leaves nothing; a crash before commit leaves only a dot-prefixed temp file`, async () => {
      const path = join(dir, `part-00001.${EXT[format]}`);
      const w = createPartWriter(path, format);
      await w.write(sample(0, 10));
      await w.abort();
      expect(await readdir(dir)).toEqual([]);

      const crashed = createPartWriter(path, format);
      await crashed.write(sample(0, 10));
      // the process "dies" here: no commit, no abort
      const left = await readdir(dir);
      expect(left).toHaveLength(1);
      expect(left[0].startsWith(`.part-00001.${EXT[format]}.tmp-`)).toBe(true);
      await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
      await crashed.abort();
    });
  }

  it('makes the part\'s directory when it is missing, and only then; a part beside an existing one needs none', async () => {
    const first = join(dir, 'run', 'deep', 'part-00000.arrow');
    const w = createPartWriter(first, 'arrow');
    await w.write(sample(0, 5));
    await w.commit();
    const second = createPartWriter(join(dir, 'run', 'deep', 'part-00001.arrow'), 'arrow');
    await second.write(sample(5, 5));
    await second.commit();
    expect((await readdir(join(dir, 'run', 'deep'))).sort()).toEqual(['part-00000.arrow', 'part-00001.arrow']);
  });

  it('CSV quotes per RFC 4180 and writes nulls as empty cells', async () => {
    const path = join(dir, 'q.csv');
    const w = createPartWriter(path, 'csv');
    await w.write(new RecordBatch({ s: vectorFromArray(['a,b', 'say "hi"', null, 'plain'], new Utf8()).data[0], x: makeVector(Float64Array.of(1.5, NaN, 3, -0.25)).data[0] }));
    await w.commit();
    expect(await readFile(path, 'utf8')).toBe('s,x\n"a,b",1.5\n"say ""hi""",NaN\n,3\nplain,-0.25\n');
  });
});
