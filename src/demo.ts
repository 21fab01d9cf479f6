import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Float64, Int64, makeVector, RecordBatch, Field, Schema, Struct, makeData } from 'apache-arrow';
import { isOrtqError } from './errors.js';
import { createPartWriter } from './io/write.js';
import { logisticTrainer } from './kinds/train/trainers/logistic.js';
import { seededRandom } from './onnx/builder.js';
import type { ModelRepository } from './repo/model-repository.js';

export const DEMO_CLASSES = ['setosa', 'versicolor', 'virginica'];
const FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];

/**
 * Saves the demo classifier as iris@champion unless it exists: ortq's built-in
 * `logistic` trainer fitted on the train side of the demo's labelled split
 * (the rows ensureDemoTrainingData writes), deterministic and well under a
 * second. A trained champion, not random weights, so that the README's
 * retraining loop compares the gbdt candidate of jobs/iris-retrain.yaml with
 * a real model: both are right on every held-out row, and on the drifted
 * copy they disagree on about 7% of rows (test/monitor/demo-loop.test.ts).
 */
export async function ensureDemoModel(repo: ModelRepository, tmpDir: string): Promise<string> {
  try {
    return (await repo.resolve('iris@champion')).tag;
  } catch (err) {
    if (!isOrtqError(err, 'ORTQ_MODEL_NOT_FOUND')) throw err; // a broken repository is reported, not papered over
  }
  const { columns, species, train } = demoTrainingRows();
  const fit = await logisticTrainer.fit({
    task: 'classification',
    X: { names: FEATURES, columns: columns.map((c) => Float64Array.from(train, (i) => c[i])), rows: train.length },
    target: { y: Float64Array.from(train, (i) => species[i]), classes: DEMO_CLASSES },
    hyperparameters: logisticTrainer.hyperparameters({}),
    seed: 7,
    inputName: 'float_input',
  });
  await mkdir(tmpDir, { recursive: true });
  const file = join(tmpDir, 'iris.onnx');
  await writeFile(file, fit.onnx);
  try {
    const manifest = await repo.save('iris', file, {
      labels: { task: 'classification', demo: 'true' },
      metadata: { dataset: 'synthetic-iris', trainer: 'builtin logistic', data: 'data/demo/iris-labelled/train.parquet' },
      aliases: ['champion'],
    });
    return `${manifest.name}:${manifest.version}`;
  } finally {
    await rm(file, { force: true });
  }
}

/**
 * How the drifted copy differs from the demo data: the same rows (same ids,
 * same generator) measured by "another instrument" — petals 1.5 cm longer and
 * 0.5 cm wider, sepals 10% longer. Against the champion's profile this puts
 * petal_length's PSI far above the README trigger's 0.2 (and shifts the
 * predicted classes), while the unshifted data stays well under it
 * (test/monitor/demo-drift.test.ts).
 */
export const DEMO_SHIFT: Readonly<Record<string, (x: number) => number>> = Object.freeze({
  sepal_length: (x: number) => x * 1.1,
  petal_length: (x: number) => x + 1.5,
  petal_width: (x: number) => x + 0.5,
});

/**
 * Writes `files` Parquet files of synthetic iris measurements with an `id`
 * column, unless present. With `shifted`, the same rows with DEMO_SHIFT
 * applied (the drifted copy for the README's retraining walk-through).
 */
export async function ensureDemoData(dir: string, opts: { files?: number; rowsPerFile?: number; shifted?: boolean } = {}): Promise<string> {
  const files = opts.files ?? 4;
  const rowsPerFile = opts.rowsPerFile ?? 50_000;
  if (existsSync(join(dir, `part-${String(files - 1).padStart(3, '0')}.parquet`))) return dir;
  await mkdir(dir, { recursive: true });
  const rnd = seededRandom(7);
  let id = 0;
  for (let f = 0; f < files; f++) {
    const writer = createPartWriter(join(dir, `part-${String(f).padStart(3, '0')}.parquet`), 'parquet');
    const ids = new BigInt64Array(rowsPerFile);
    const cols = FEATURES.map(() => new Float64Array(rowsPerFile));
    for (let r = 0; r < rowsPerFile; r++) {
      ids[r] = BigInt(id++);
      const species = Math.floor(rnd() * 3);
      cols[0][r] = 5 + species * 0.8 + rnd();
      cols[1][r] = 3.4 - species * 0.3 + rnd() * 0.5;
      cols[2][r] = 1.5 + species * 2 + rnd();
      cols[3][r] = 0.2 + species * 0.8 + rnd() * 0.4;
    }
    if (opts.shifted) {
      FEATURES.forEach((name, j) => {
        const f = DEMO_SHIFT[name];
        if (f) for (let r = 0; r < rowsPerFile; r++) cols[j][r] = f(cols[j][r]);
      });
    }
    const vectors = [makeVector(ids), ...cols.map((c) => makeVector(c))];
    const fields = [new Field('id', new Int64(), false), ...FEATURES.map((n) => new Field(n, new Float64(), false))];
    const data = makeData({ type: new Struct(fields), length: rowsPerFile, nullCount: 0, children: vectors.map((v) => v.data[0]) });
    await writer.write(new RecordBatch(new Schema(fields), data));
    await writer.commit();
  }
  return dir;
}

/** The demo job ships in the package (jobs/ is in its files), so the demo works from any directory. */
export const DEMO_JOB = fileURLToPath(new URL('../jobs/iris-score.yaml', import.meta.url));

/** The demo's job (from the package) and where its data and scratch files go (under `cwd`, where the job's relative paths point). */
export function demoPaths(cwd = process.cwd()): { job: string; data: string; shifted: string; tmp: string; training: string } {
  return {
    job: DEMO_JOB, data: resolve(cwd, 'data/demo/iris'), shifted: resolve(cwd, 'data/demo/iris-shifted'),
    tmp: resolve(cwd, '.ortq/tmp'), training: resolve(cwd, 'data/demo/iris-labelled'),
  };
}

/**
 * The demo's labelled rows: the same generator as the scoring data (its own
 * seed), species as indexes into DEMO_CLASSES, every 5th row held out.
 */
function demoTrainingRows(rows = 3000): { columns: Float64Array[]; species: number[]; train: number[]; eval: number[] } {
  const rnd = seededRandom(11);
  const sides = { train: [] as number[], eval: [] as number[] };
  const columns = FEATURES.map(() => new Float64Array(rows));
  const species: number[] = [];
  for (let r = 0; r < rows; r++) {
    const s = Math.floor(rnd() * 3);
    species.push(s);
    columns[0][r] = 5 + s * 0.8 + rnd();
    columns[1][r] = 3.4 - s * 0.3 + rnd() * 0.5;
    columns[2][r] = 1.5 + s * 2 + rnd();
    columns[3][r] = 0.2 + s * 0.8 + rnd() * 0.4;
    (r % 5 === 0 ? sides.eval : sides.train).push(r);
  }
  return { columns, species, ...sides };
}

/**
 * Writes the labelled train/eval split of synthetic iris (species as
 * strings) for jobs/iris-retrain.yaml, unless present (demoTrainingRows).
 */
export async function ensureDemoTrainingData(dir: string): Promise<string> {
  if (existsSync(join(dir, 'eval.parquet'))) return dir;
  await mkdir(dir, { recursive: true });
  const { columns, species, ...sides } = demoTrainingRows();
  const { Utf8, vectorFromArray } = await import('apache-arrow');
  for (const [name, idx] of Object.entries(sides)) {
    const vectors = [...columns.map((c) => makeVector(Float64Array.from(idx, (i) => c[i]))), vectorFromArray(idx.map((i) => DEMO_CLASSES[species[i]]), new Utf8())];
    const fields = [...FEATURES.map((n) => new Field(n, new Float64(), false)), new Field('species', new Utf8(), false)];
    const data = makeData({ type: new Struct(fields), length: idx.length, nullCount: 0, children: vectors.map((v) => v.data[0]) });
    const writer = createPartWriter(join(dir, `${name}.parquet`), 'parquet');
    await writer.write(new RecordBatch(new Schema(fields), data));
    await writer.commit();
  }
  return dir;
}
