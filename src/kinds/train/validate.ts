import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Field, Float64, Schema } from 'apache-arrow';
import { OrtqError, isOrtqError } from '../../errors.js';
import { checkFeatureSchema, type InputSpec } from '../../predict/features.js';
import type { ModelManifest } from '../../repo/manifest.js';
import { buildVersionDir } from '../../repo/save.js';
import { modelClassLabels } from './class-labels.js';
import { CANDIDATE_MODEL } from './run-files.js';
import type { TrainPlan } from './types.js';

/** What validation learned about the candidate: how to feed it and read it. */
export interface ValidateReceipt {
  digest: string;
  signature: ModelManifest['signature'];
  classLabels: Array<string | number> | null;
  /** the scoring model (ZipMap rewritten) ortq will store, relative to the run dir */
  scoringModel: string;
}

export const VALIDATED_DIR = 'validated';

/**
 * Checks that the candidate loads the way a saved version would (ONNX parse,
 * ZipMap rewrite, onnxruntime open) and takes the spec's features. Any
 * problem is ORTQ_MODEL_INVALID; nothing is registered.
 */
export async function validateCandidate(plan: TrainPlan): Promise<ValidateReceipt> {
  const dir = join(plan.runDir, VALIDATED_DIR);
  await rm(dir, { recursive: true, force: true });
  let manifest: ModelManifest;
  try {
    manifest = await buildVersionDir({
      name: plan.job.model, version: 'candidate', file: join(plan.runDir, CANDIDATE_MODEL),
      labels: {}, metadata: {}, lineage: {}, attachments: [], createdAt: new Date(),
    }, dir);
  } catch (err) {
    if (isOrtqError(err) && err.code !== 'ORTQ_MODEL_INVALID') {
      throw new OrtqError('ORTQ_MODEL_INVALID', `the trained model is not usable: ${err.message}`, err.details, { cause: err });
    }
    throw err;
  }
  const cols = Object.values(plan.job.features).flat();
  const schema = new Schema(cols.map((c) => new Field(c, new Float64(), true)));
  try {
    checkFeatureSchema({ features: plan.job.features, passthrough: [], inputs: manifest.signature.inputs as InputSpec[], schema, file: 'the training features' });
  } catch (err) {
    throw new OrtqError('ORTQ_MODEL_INVALID', `the trained model does not take the spec's features: ${(err as Error).message}`, undefined, { cause: err });
  }
  const bytes = await readFile(join(dir, 'model.onnx'));
  const probOutput = manifest.signature.outputs.find((o) => o.elemType.startsWith('float') && o.shape.length === 2)?.name ?? null;
  return {
    digest: manifest.digest,
    signature: manifest.signature,
    classLabels: plan.job.task === 'classification' ? modelClassLabels(bytes, manifest, probOutput) : null,
    scoringModel: join(VALIDATED_DIR, 'model.onnx'),
  };
}
