import { readFile } from 'node:fs/promises';
import type { RecordBatch } from 'apache-arrow';
import { writeJsonAtomic } from '../../fs/atomic.js';
import { ProfileBuilder } from '../../monitor/profile-builder.js';
import type { ThreadTensor } from '../../predict/inference-thread.js';
import { join } from 'node:path';
import type { OrtqConfig } from '../../config.js';
import { OrtqError } from '../../errors.js';
import type { ModelRepository } from '../../repo/model-repository.js';
import { onnxruntimeVersion } from '../../repo/onnx-runtime-check.js';
import { ortqVersion } from '../../version.js';
import { modelClassLabels } from './class-labels.js';
import type { PreparedData } from './data.js';
import { evaluateScores, type ModelEvaluation } from './evaluate.js';
import { metricInfo } from './metric-catalog.js';
import { currentChampion } from './plan-run.js';
import { scoreEval, type ScoringModel } from './score.js';
import type { ModelRef, TrainPlan } from './types.js';
import type { ValidateReceipt } from './validate.js';

export interface EvaluationReceipt {
  metrics: string[];
  slices: string[];
  classes: Array<string | number>;
  rows: { train: number; eval: number };
  candidate: { digest: string } & ModelEvaluation;
  /** the champion as evaluated (its digest is recorded, not hashed into the run id); null: none */
  champion: (ModelRef & ({ evaluation: ModelEvaluation } | { error: string })) | null;
  /** where the promotion alias pointed when the champion was evaluated: the compare-and-set expectation */
  aliasAtEvaluation: string | null;
  scoredBy: { ortq: string; onnxruntime: string };
  at: string;
}

/** The candidate's reference profile (profile.json of the version it is registered as), built from the eval rows and its outputs on them. */
export const CANDIDATE_PROFILE = 'candidate/profile.json';

function candidateProfiler(model: ScoringModel, data: PreparedData): { builder: ProfileBuilder; observe: (batch: RecordBatch, outputs: Record<string, ThreadTensor>) => void } {
  const proba = probOutputOf(model.signature);
  const labels: Record<string, Array<string | number>> = {};
  if (model.classLabels) {
    for (const o of model.signature.outputs) if (o.name === proba || !o.elemType.startsWith('float')) labels[o.name] = model.classLabels;
  }
  const builder = new ProfileBuilder({}, data.eval.X.names, labels);
  return { builder, observe: (batch, outputs) => builder.add(batch, outputs) };
}

const probOutputOf = (s: ScoringModel['signature']) => s.outputs.find((o) => o.elemType.startsWith('float') && o.shape.length === 2)?.name ?? null;

/**
 * Scores the candidate and the current champion on the same eval rows with
 * the prediction engine and computes every metric (and per slice) for both.
 * A champion that cannot be scored on this data is recorded with its error.
 */
export async function evaluateRun(plan: TrainPlan, args: {
  data: PreparedData;
  validated: ValidateReceipt;
  repo: ModelRepository;
  inference?: OrtqConfig['inference'];
}): Promise<EvaluationReceipt> {
  const { data, validated, repo } = args;
  const job = plan.job;
  const candidateModel: ScoringModel = {
    tag: 'the candidate',
    bytes: await readFile(join(plan.runDir, validated.scoringModel)),
    signature: validated.signature,
    classLabels: validated.classLabels,
  };
  const profiler = candidateProfiler(candidateModel, data);
  const scored = await scoreEval(candidateModel, data, job, args.inference, profiler.observe);
  if (profiler.builder.needsSecondPass()) await scoreEval(candidateModel, data, job, args.inference, profiler.observe);
  await writeJsonAtomic(join(plan.runDir, CANDIDATE_PROFILE), profiler.builder.finish({
    source: ('split' in job.data.eval ? plan.inputs.train : plan.inputs.eval).map((f) => ({ path: f.path, digest: f.digest })),
  }));
  if (job.task === 'classification' && !scored.proba) {
    const needs = job.evaluate.metrics.filter((m) => metricInfo(m)?.needsProba);
    if (needs.length) throw new OrtqError('ORTQ_MODEL_INVALID', `the candidate has no [N, k] float probability output, which ${needs.join(', ')} need`);
  }
  const candidate = { digest: validated.digest, ...evaluateScores(scored, data, job.evaluate.metrics, job.evaluate.slices) };
  let champion: EvaluationReceipt['champion'] = null;
  // read before the champion: if the alias moves in between, promotion sees it as stale
  const aliasAtEvaluation = (await repo.aliases(job.model)).aliases[job.alias] ?? null;
  const ref = await currentChampion(job, repo);
  if (ref) {
    try {
      const loaded = await repo.load(ref.tag);
      const sig = loaded.model.manifest.signature;
      const model: ScoringModel = {
        tag: ref.tag, bytes: loaded.bytes, signature: sig,
        classLabels: job.task === 'classification' ? modelClassLabels(loaded.bytes, loaded.model.manifest, probOutputOf(sig)) : null,
      };
      const s = await scoreEval(model, data, job, args.inference);
      champion = { ...ref, evaluation: evaluateScores(s, data, job.evaluate.metrics, job.evaluate.slices) };
    } catch (err) {
      champion = { ...ref, error: (err as Error).message };
    }
  }
  return {
    metrics: job.evaluate.metrics,
    slices: job.evaluate.slices,
    classes: data.classes,
    rows: { train: data.train.X.rows, eval: data.eval.X.rows },
    candidate,
    champion,
    aliasAtEvaluation,
    scoredBy: { ortq: ortqVersion(), onnxruntime: onnxruntimeVersion() },
    at: new Date().toISOString(),
  };
}
