import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Field, Float32, makeData, makeVector, RecordBatch, RecordBatchFileWriter, Schema, Struct } from 'apache-arrow';
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
 * Writes `rows` rows as an Arrow IPC file (record batches of `chunk` rows)
 * or a Parquet file (row groups of `chunk` rows) without holding it all.
 */
export async function writeFeatureFile(path: string, format: 'arrow' | 'parquet', rows: number, features: number, chunk = 131072): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  if (format === 'parquet') {
    const w = createPartWriter(path, 'parquet');
    for (let done = 0, b = 0; done < rows; done += chunk, b++) await w.write(featureBatch(Math.min(chunk, rows - done), features, b + 1));
    await w.commit();
    return;
  }
  const fh = await open(path, 'w');
  const writer = new RecordBatchFileWriter();
  const drain = (async () => {
    for await (const buf of writer) await fh.write(buf);
  })();
  for (let done = 0, b = 0; done < rows; done += chunk, b++) writer.write(featureBatch(Math.min(chunk, rows - done), features, b + 1));
  writer.finish();
  await drain;
  await fh.close();
}
