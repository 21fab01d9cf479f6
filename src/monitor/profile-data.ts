/**
 * Builds a model version's reference profile from data files: the input
 * columns the model is fed from, and the model's outputs on them, scored by
 * the same feature building and onnxruntime thread as prediction runs.
 */
import type { OrtqConfig } from '../config.js';
import { OrtqError } from '../errors.js';
import { discoverInputs, type InputFile } from '../io/discover.js';
import { readBatches } from '../io/read.js';
import { digestFile } from '../io/fingerprint.js';
import { ProfileBuilder } from './profile-builder.js';
import type { ProfileSettings, ReferenceProfile } from './profile.js';
import type { ModelRepository } from '../repo/model-repository.js';
import { buildFeatures, type InputSpec } from '../predict/features.js';
import { inferenceThreadFor } from '../predict/inference-pool.js';
import type { ThreadTensor } from '../predict/inference-thread.js';
import { Type, type Schema } from 'apache-arrow';

export interface ProfileDataOptions {
  repo: ModelRepository;
  /** the version to profile (any tag form) */
  model: string;
  /** a data file, a folder of them, or a glob */
  data: string;
  /** model input → data columns, as in a predict job; inferred when left out (see inferFeatures) */
  features?: Record<string, string[]>;
  settings?: Partial<ProfileSettings>;
  /** @defaultValue 65536 */
  batchSize?: number;
  inference?: OrtqConfig['inference'];
}

function isNumeric(schema: Schema, col: string): boolean {
  const t = schema.fields.find((f) => f.name === col)?.type;
  return t !== undefined && (t.typeId === Type.Int || t.typeId === Type.Float || t.typeId === Type.Bool);
}

/**
 * The features mapping when none is given: each model input named like a
 * data column takes that column; a model with one input takes every numeric
 * column when their number fits the input's width.
 */
export function inferFeatures(inputs: InputSpec[], schema: Schema, file: string): Record<string, string[]> {
  const names = new Set(schema.fields.map((f) => f.name));
  if (inputs.every((i) => names.has(i.name))) return Object.fromEntries(inputs.map((i) => [i.name, [i.name]]));
  if (inputs.length === 1) {
    const numeric = schema.fields.map((f) => f.name).filter((c) => isNumeric(schema, c));
    const width = inputs[0].shape.length >= 2 ? inputs[0].shape[1] : 1;
    if (typeof width === 'number' && width === numeric.length) return { [inputs[0].name]: numeric };
    throw new OrtqError('ORTQ_USAGE', `${file}: cannot tell which columns feed input "${inputs[0].name}" (width ${width ?? 'free'}) from ${numeric.length} numeric columns (${numeric.join(', ')}); pass --features ${inputs[0].name}=COL,COL,…`, { file });
  }
  throw new OrtqError('ORTQ_USAGE', `${file}: the model has inputs ${inputs.map((i) => i.name).join(', ')} and the data has no columns of those names; pass --features INPUT=COL,… for each`, { file });
}

async function firstSchema(file: InputFile, batchSize: number): Promise<Schema> {
  for await (const batch of readBatches(file, { batchSize })) return batch.schema;
  throw new OrtqError('ORTQ_INPUT_CORRUPT', `${file.path} holds no rows to profile`, { file: file.path });
}

/**
 * Reads the data (twice when a numeric column holds more values than the
 * quantile sample), scores it with the model and returns its profile. Rows
 * with a null or NaN feature are profiled as inputs (they count in the null
 * rate) but not scored.
 */
export async function profileFromData(opts: ProfileDataOptions): Promise<ReferenceProfile> {
  const batchSize = opts.batchSize ?? 65_536;
  const { model, bytes } = await opts.repo.load(opts.model);
  const files = await discoverInputs(opts.data);
  if (files.length === 0) throw new OrtqError('ORTQ_INPUT_NOT_FOUND', `no data files match ${opts.data}`, { path: opts.data });
  const inputs = model.manifest.signature.inputs as InputSpec[];
  const features = opts.features ?? inferFeatures(inputs, await firstSchema(files[0], batchSize), files[0].path);
  const columns = [...new Set(Object.values(features).flat())];
  const thread = inferenceThreadFor(model.digest, () => bytes, opts.inference);
  const { outputNames } = await thread.ready;
  const builder = new ProfileBuilder(opts.settings, columns, model.manifest.classLabels ?? {});
  for (let pass = 1; pass <= 2; pass++) {
    if (pass === 2 && !builder.needsSecondPass()) break;
    for (const file of files) {
      let rowBase = 0;
      for await (const batch of readBatches(file, { columns, batchSize })) {
        const fb = buildFeatures({ batch, features, inputs, nulls: 'skip', file: file.path, rowBase, careful: true });
        rowBase += batch.numRows;
        let outputs: Record<string, ThreadTensor> = {};
        if (fb.rows > 0) {
          const r = await thread.run(Object.fromEntries([...fb.tensors].map(([name, t]) => [name, t as ThreadTensor])));
          outputs = Object.fromEntries(outputNames.filter((n) => r.outputs[n]).map((n) => [n, r.outputs[n]]));
        }
        builder.add(batch, outputs, fb.rows);
      }
    }
  }
  const source = await Promise.all(files.map(async (f) => ({ path: f.path, digest: await digestFile(f.path) })));
  return builder.finish({ source, model: { name: model.name, version: model.version, digest: model.digest } });
}
