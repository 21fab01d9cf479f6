import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Field, Float32, makeData, makeVector, RecordBatch, Schema, Struct } from 'apache-arrow';
import { createPartWriter } from '../io/write.js';
import { seededRandom } from '../onnx/builder.js';

/** One batch of `rows` rows × `features` float32 columns f0..f{k-1}, deterministic from `seed`. */
export function featureBatch(rows: number, features: number, seed: number): RecordBatch {
  const rnd = seededRandom(seed);
  const fields = Array.from({ length: features }, (_, j) => new Field(`f${j}`, new Float32(), false));
  const children = fields.map(() => {
    const a = new Float32Array(rows);
    for (let i = 0; i < rows; i++) a[i] = rnd() * 2 - 1;
    return makeVector(a).data[0];
  });
  return new RecordBatch(new Schema(fields), makeData({ type: new Struct(fields), length: rows, nullCount: 0, children }));
}

/**
 * Writes `rows` rows as a directory of files of at most `fileRows` rows
 * (Arrow IPC files with record batches of `chunk` rows, or Parquet with row
 * groups of the writer's default size), one batch in memory at a time.
 * Returns the directory; an existing complete dataset is kept.
 */
export async function writeFeatureDataset(dir: string, format: 'arrow' | 'parquet' | 'csv', rows: number, features: number, opts: { fileRows?: number; chunk?: number } = {}): Promise<string> {
  const fileRows = opts.fileRows ?? 1_000_000;
  const chunk = opts.chunk ?? 131072;
  const files = Math.ceil(rows / fileRows);
  await mkdir(dir, { recursive: true });
  const existing = (await readdir(dir)).filter((n) => n.endsWith(`.${format}`));
  if (existing.length === files) return dir;
  for (let f = 0; f < files; f++) {
    const path = join(dir, `part-${String(f).padStart(4, '0')}.${format}`);
    await writeFeatureFile(path, format, Math.min(fileRows, rows - f * fileRows), features, chunk, 1 + f * 1000);
  }
  return dir;
}

/** One file of `rows` rows in record batches (Arrow) or row groups (Parquet) of `chunk` rows, streamed. */
export async function writeFeatureFile(path: string, format: 'arrow' | 'parquet' | 'csv', rows: number, features: number, chunk = 131072, firstSeed = 1): Promise<void> {
  const w = createPartWriter(path, format);
  for (let done = 0, seed = firstSeed; done < rows; done += chunk) await w.write(featureBatch(Math.min(chunk, rows - done), features, seed++));
  await w.commit();
}
