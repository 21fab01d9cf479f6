import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeData, RecordBatch, Field, Float32, Schema, Struct } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { closeParquetWorkers } from '../../src/io/parquet-host.js';
import { readBatches } from '../../src/io/read.js';
import { createPartWriter } from '../../src/io/write.js';
import { inputFile } from './helpers.js';

/** Opt-in (ORTQ_IO_BENCH=1): read throughput of 1M rows × 30 float32 columns. */
const run = process.env.ORTQ_IO_BENCH === '1';
afterAll(() => closeParquetWorkers());

function batch(rows: number, cols: number, seed: number): RecordBatch {
  const fields = Array.from({ length: cols }, (_, c) => new Field(`f${c}`, new Float32(), false));
  const children = fields.map((_, c) => makeData({ type: new Float32(), length: rows, data: Float32Array.from({ length: rows }, (_, i) => (seed + i) * 0.001 + c) }));
  return new RecordBatch(new Schema(fields), makeData({ type: new Struct(fields), length: rows, nullCount: 0, children }));
}

describe.runIf(run)('read throughput', () => {
  for (const format of ['arrow', 'parquet'] as const) {
    it(`${format}: 1M rows x 30 float32`, { timeout: 300_000 }, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'ortq-io-bench-'));
      const path = join(dir, `big.${format}`);
      const w = createPartWriter(path, format);
      for (let i = 0; i < 16; i++) await w.write(batch(65_536, 30, i * 65_536));
      const { rows, bytes } = await w.commit();
      const file = await inputFile(path);
      const rss0 = process.memoryUsage().rss;
      let peak = rss0;
      const t0 = performance.now();
      let n = 0;
      for await (const b of readBatches(file, { batchSize: 65_536 })) {
        n += b.numRows;
        peak = Math.max(peak, process.memoryUsage().rss);
      }
      const s = (performance.now() - t0) / 1000;
      console.log(`${format}: ${rows} rows, ${(bytes / 1e6).toFixed(0)} MB file, ${(n / s / 1e6).toFixed(2)} M rows/s, ${(bytes / s / 1e6).toFixed(0)} MB/s, RSS +${((peak - rss0) / 1e6).toFixed(0)} MB (main thread)`);
      expect(n).toBe(rows);
      await rm(dir, { recursive: true, force: true });
    });
  }
});
