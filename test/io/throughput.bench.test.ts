import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeData, RecordBatch, Field, Float32, Schema, Struct } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { closeParquetWorkers } from '../../src/io/parquet-host.js';
import { readBatches } from '../../src/io/read.js';
import { createPartWriter } from '../../src/io/write.js';
import { inputFile } from './helpers.js';

/**
 * Opt-in (ORTQ_IO_BENCH=1): read throughput of 1M rows × 30 float32 columns.
 * Two passes: the first pays for JIT and, for Parquet, a fresh decoder worker
 * compiling parquet-wasm; the second is what a long-running worker sees.
 * CPU is the whole process (decoder threads included), per second of wall time.
 */
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
      const tw = performance.now();
      for (let i = 0; i < 16; i++) await w.write(batch(65_536, 30, i * 65_536));
      const { rows, bytes } = await w.commit();
      const writeS = (performance.now() - tw) / 1000;
      console.log(`${format}: wrote ${rows} rows, ${(bytes / 1e6).toFixed(0)} MB in ${writeS.toFixed(2)} s`);
      const file = await inputFile(path);
      const rates: number[] = [];
      for (const pass of ['cold', 'warm']) {
        const rss0 = process.memoryUsage().rss;
        let peak = rss0;
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        let n = 0;
        for await (const b of readBatches(file, { batchSize: 65_536 })) {
          n += b.numRows;
          peak = Math.max(peak, process.memoryUsage().rss);
        }
        const s = (performance.now() - t0) / 1000;
        const cpu = process.cpuUsage(cpu0);
        const cpuS = (cpu.user + cpu.system) / 1e6;
        rates.push(n / s);
        console.log(`${format} ${pass}: ${(n / s / 1e6).toFixed(2)} M rows/s, ${(bytes / s / 1e6).toFixed(0)} MB/s, CPU ${cpuS.toFixed(2)} s (${(cpuS / s).toFixed(2)} cores), RSS +${((peak - rss0) / 1e6).toFixed(0)} MB`);
        expect(n).toBe(rows);
      }
      // Loose floors for a busy 2-core box (measured warm: arrow ~6M, parquet ~2M rows/s);
      // they catch a return to per-value work or an extra copy, not noise.
      expect(rates[1]).toBeGreaterThan(format === 'arrow' ? 1.5e6 : 0.5e6);
      await rm(dir, { recursive: true, force: true });
    });
  }
});
