import { makeVector, type RecordBatch, type Vector } from 'apache-arrow';
import type { OrtqConfig } from '../../config.js';
import { OrtqError } from '../../errors.js';
import { buildFeatures, type InputSpec } from '../../predict/features.js';
import { InferenceThread } from '../../predict/inference-client.js';
import type { ThreadTensor } from '../../predict/inference-thread.js';
import { batchFromColumns } from '../../predict/outputs.js';
import type { TensorInfo } from '../../repo/manifest.js';
import type { PreparedData } from './data.js';
import type { TrainJob } from './types.js';

/** A model's predictions on the eval rows, in the data's own class order. */
export interface Scored {
  /** predicted class index (-1: a class the data does not have) or value */
  pred: Float64Array;
  /** row-major [N, k] probabilities over data.classes, in the output's precision; null when the model gives none */
  proba: Float32Array | Float64Array | null;
}

export interface ScoringModel {
  tag: string;
  bytes: Uint8Array;
  signature: { inputs: TensorInfo[]; outputs: TensorInfo[] };
  classLabels: Array<string | number> | null;
}

const isFloat = (t: TensorInfo) => t.elemType === 'float32' || t.elemType === 'float64' || t.elemType === 'float16';

export function pickOutputs(model: ScoringModel, task: TrainJob['task']): { value?: string; proba?: string; label?: string } {
  const outs = model.signature.outputs;
  if (task === 'regression') {
    const value = outs.find(isFloat);
    if (!value) throw new OrtqError('ORTQ_MODEL_INVALID', `${model.tag}: no float output to read a regression value from`);
    return { value: value.name };
  }
  const proba = outs.find((o) => isFloat(o) && o.shape.length === 2 && o.shape[1] !== 1);
  const label = outs.find((o) => !isFloat(o) && o.shape.length <= 2);
  if (!proba && !label) throw new OrtqError('ORTQ_MODEL_INVALID', `${model.tag}: no label or probability output to read a class from`);
  return { proba: proba?.name, label: label?.name };
}

/**
 * Scores the eval rows with `model` through the prediction engine's own path
 * (buildFeatures → an onnxruntime inference thread), so the numbers are the
 * ones production would produce, then reads labels and probabilities into
 * the data's class order.
 */
export async function scoreEval(
  model: ScoringModel, data: PreparedData, job: TrainJob, inference?: OrtqConfig['inference'],
  /** sees each eval batch with the model's raw outputs on it (the candidate's reference profile is built from these) */
  observe?: (batch: RecordBatch, outputs: Record<string, ThreadTensor>) => void,
): Promise<Scored> {
  const side = data.eval;
  const n = side.X.rows;
  const k = data.classes.length;
  const names = pickOutputs(model, job.task);
  const classIndex = new Map(data.classes.map((c, i) => [String(c), i]));
  const modelClasses = model.classLabels ?? data.classes;
  const colOf = modelClasses.map((c) => classIndex.get(String(c)) ?? -1);
  const pred = new Float64Array(n);
  const probaInfo = model.signature.outputs.find((o) => o.name === names.proba);
  const proba = !names.proba ? null : probaInfo?.elemType === 'float64' ? new Float64Array(n * k) : new Float32Array(n * k);
  const thread = new InferenceThread(model.bytes, inference);
  try {
    await thread.ready;
    const bs = job.batchSize;
    for (let from = 0; from < n; from += bs) {
      const to = Math.min(n, from + bs);
      const cols: Array<[string, Vector]> = side.X.names.map((c, j) => [c, makeVector(side.X.columns[j].slice(from, to))]);
      const batch = batchFromColumns(cols, to - from);
      const fb = buildFeatures({ batch, features: job.features, inputs: model.signature.inputs as InputSpec[], nulls: 'error', file: 'eval data', rowBase: from });
      const feeds = Object.fromEntries([...fb.tensors].map(([name, t]) => [name, t as ThreadTensor]));
      const { outputs } = await thread.run(feeds).catch((err: Error) => {
        throw new OrtqError('ORTQ_INFERENCE_FAILED', `${model.tag}: eval rows ${from}..${to - 1}: ${err.message}`);
      });
      const rows = to - from;
      observe?.(batch, outputs);
      if (names.value) {
        const v = outputs[names.value].data as ArrayLike<number>;
        const w = v.length / rows;
        for (let r = 0; r < rows; r++) pred[from + r] = Number(v[r * w]);
        continue;
      }
      if (names.proba && proba) {
        const p = outputs[names.proba].data as ArrayLike<number>;
        const w = p.length / rows;
        if (w !== modelClasses.length) {
          throw new OrtqError('ORTQ_MODEL_INVALID', `${model.tag}: output "${names.proba}" has ${w} columns but the model names ${modelClasses.length} classes`);
        }
        for (let r = 0; r < rows; r++) {
          for (let j = 0; j < w; j++) if (colOf[j] >= 0) proba[(from + r) * k + colOf[j]] = Number(p[r * w + j]);
        }
      }
      if (names.label) {
        const l = outputs[names.label].data as ArrayLike<unknown>;
        for (let r = 0; r < rows; r++) {
          const v = l[r];
          pred[from + r] = classIndex.get(String(typeof v === 'bigint' ? Number(v) : v)) ?? -1;
        }
      } else if (proba) {
        for (let r = 0; r < rows; r++) {
          let best = 0;
          for (let j = 1; j < k; j++) if (proba[(from + r) * k + j] > proba[(from + r) * k + best]) best = j;
          pred[from + r] = best;
        }
      }
    }
  } finally {
    await thread.close();
  }
  return { pred, proba };
}
