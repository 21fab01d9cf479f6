import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeVector, vectorFromArray, Utf8, type Vector } from 'apache-arrow';
import { writeJsonAtomic } from '../../fs/atomic.js';
import { createPartWriter } from '../../io/write.js';
import { batchFromColumns } from '../../predict/outputs.js';
import type { LoadedModel } from '../../repo/model-repository.js';
import type { PreparedData, PreparedSide } from './data.js';
import type { CommandTrainerSpec, TrainPlan } from './types.js';

const EXT = { parquet: 'parquet', csv: 'csv', arrow: 'arrow' } as const;

/** The label column as the trainer sees it: the class value itself (string or number), or the regression target. */
function labelVector(side: PreparedSide, data: PreparedData, from: number, to: number): Vector {
  const y = side.y.subarray(from, to);
  if (data.task === 'regression') return makeVector(Float64Array.from(y));
  if (data.classes.every((c) => typeof c === 'number')) return makeVector(Float64Array.from(y, (k) => data.classes[k] as number));
  return vectorFromArray(Array.from(y, (k) => String(data.classes[k])), new Utf8());
}

/** Writes one side as a single file with only the feature and label columns, in batches of `batchSize` rows. */
async function writeSide(dir: string, side: PreparedSide, data: PreparedData, label: string, format: CommandTrainerSpec['inputFormat'], batchSize: number): Promise<void> {
  const writer = createPartWriter(join(dir, `part-00000.${EXT[format]}`), format);
  try {
    for (let from = 0; from < side.X.rows || from === 0; from += batchSize) {
      const to = Math.min(from + batchSize, side.X.rows);
      const cols: Array<[string, Vector]> = side.X.names.map((n, j) => [n, makeVector(side.X.columns[j].slice(from, to))]);
      cols.push([label, labelVector(side, data, from, to)]);
      await writer.write(batchFromColumns(cols, to - from));
      if (to >= side.X.rows) break;
    }
    await writer.commit();
  } catch (err) {
    await writer.abort();
    throw err;
  }
}

/**
 * Lays out a fresh ORTQ_TRAIN_DIR for a command trainer:
 *   input/config/hyperparameters.json, input/config/trainjob.json,
 *   input/data/train/, input/data/eval/ (in trainer.inputFormat, feature and label columns only),
 *   input/model/ (the champion's model.onnx and manifest.json, when there is one),
 *   output/ (empty; the trainer writes model.onnx, metrics.json, files/*, failure).
 */
export async function layoutTrainDir(dir: string, plan: TrainPlan, data: PreparedData, champion: LoadedModel | null): Promise<void> {
  const job = plan.job;
  const trainer = job.trainer as CommandTrainerSpec;
  await mkdir(join(dir, 'input', 'config'), { recursive: true });
  await mkdir(join(dir, 'input', 'model'), { recursive: true });
  await mkdir(join(dir, 'output'), { recursive: true });
  await writeJsonAtomic(join(dir, 'input', 'config', 'hyperparameters.json'), job.hyperparameters);
  const labelType = data.task === 'regression' || data.classes.every((c) => typeof c === 'number') ? 'float64' : 'string';
  await writeJsonAtomic(join(dir, 'input', 'config', 'trainjob.json'), {
    name: job.name,
    model: job.model,
    runId: plan.runId,
    features: job.features,
    label: job.label,
    task: job.task,
    classes: data.classes,
    seed: job.seed,
    inputFormat: trainer.inputFormat,
    columns: [...data.train.X.names.map((name) => ({ name, type: 'float64' })), { name: job.label, type: labelType }],
    rows: { train: data.train.X.rows, eval: data.eval.X.rows },
    champion: champion ? { tag: champion.model.tag, digest: champion.model.digest } : null,
  });
  await writeSide(join(dir, 'input', 'data', 'train'), data.train, data, job.label, trainer.inputFormat, job.batchSize);
  await writeSide(join(dir, 'input', 'data', 'eval'), data.eval, data, job.label, trainer.inputFormat, job.batchSize);
  if (champion) {
    await writeFile(join(dir, 'input', 'model', 'model.onnx'), champion.bytes);
    await writeFile(join(dir, 'input', 'model', 'manifest.json'), JSON.stringify(champion.model.manifest, null, 2) + '\n');
  }
}
