import { join } from 'node:path';
import { isOrtqError, OrtqError } from '../../errors.js';
import { writeJsonAtomic } from '../../fs/atomic.js';
import type { ModelRepository } from '../../repo/model-repository.js';
import { generateVersion } from '../../repo/tag.js';
import { ortqVersion } from '../../version.js';
import type { PreparedData } from './data.js';
import type { Decision } from './decide.js';
import { gitCommit } from './git-commit.js';
import type { ReferenceProfile } from '../../monitor/profile.js';
import { readJsonIfExists } from '../../runs/store.js';
import { CANDIDATE_MODEL } from './run-files.js';
import { CANDIDATE_PROFILE, type EvaluationReceipt } from './step-evaluate.js';
import type { TrainReceipt } from './step-train.js';
import type { ModelRef, TrainPlan } from './types.js';
import { setVerdict } from './verdicts.js';

export interface RegisterReceipt extends ModelRef { name: string; created: boolean }

export const EVALUATION_ATTACHMENT = 'evaluation.json';

/**
 * The version a run registers under: the plan's time and attempt token, in
 * the shape of generated versions. Deterministic per (run, attempt), so a
 * save repeated after a kill meets ORTQ_MODEL_EXISTS instead of making a
 * second version.
 */
export function versionFor(plan: TrainPlan): string {
  return generateVersion(new Date(plan.createdAt)).replace(/-[0-9a-f]{6}$/, `-${plan.attempt.slice(0, 6)}`);
}

function lineageOf(plan: TrainPlan, data: Pick<PreparedData, 'classes' | 'inputs'>, evaluation: EvaluationReceipt, commit: string | null): Record<string, unknown> {
  const rows = (files: PreparedData['inputs']['train']) => new Map(files.map((f) => [f.path, f.rows]));
  const trainRows = rows(data.inputs.train);
  const evalRows = rows(data.inputs.eval);
  const job = plan.job;
  return {
    parent: evaluation.champion ? { tag: evaluation.champion.tag, version: evaluation.champion.version, digest: evaluation.champion.digest } : null,
    trainer: plan.trainer,
    hyperparameters: job.hyperparameters,
    seed: job.seed,
    inputs: {
      train: plan.inputs.train.map((i) => ({ ...i, rows: trainRows.get(i.path) ?? null })),
      eval: 'split' in job.data.eval
        ? { split: job.data.eval.split, of: 'train' }
        : plan.inputs.eval.map((i) => ({ ...i, rows: evalRows.get(i.path) ?? null })),
      rows: { train: evaluation.rows.train, eval: evaluation.rows.eval },
    },
    features: job.features,
    label: job.label,
    task: job.task,
    classes: data.classes,
    trainRun: plan.runId,
    trainAttempt: plan.attempt,
    job: job.name,
    ortq: ortqVersion(),
    gitCommit: commit,
    ...(job.evidence ? { trigger: job.evidence } : {}),
  };
}

/**
 * Saves the candidate as a new version of the job's model with its verdict,
 * evaluation report (an attachment, so its digest is in the manifest),
 * lineage and labels `verdict=` and `trainRun=`. Idempotent per run attempt:
 * the version is deterministic, so a repeat finds the one already saved.
 */
export async function registerCandidate(plan: TrainPlan, args: {
  repo: ModelRepository;
  data: Pick<PreparedData, 'classes' | 'inputs'>;
  train: TrainReceipt;
  evaluation: EvaluationReceipt;
  decision: Decision;
  cwd?: string;
}): Promise<RegisterReceipt> {
  const { repo, decision } = args;
  const name = plan.job.model;
  const version = versionFor(plan);
  const evalFile = join(plan.runDir, 'register', EVALUATION_ATTACHMENT);
  await writeJsonAtomic(evalFile, { runId: plan.runId, ...args.evaluation, decision });
  if (args.train.files.some((f) => f.endsWith(`/${EVALUATION_ATTACHMENT}`))) {
    throw new OrtqError('ORTQ_TRAIN_FAILED', `the trainer wrote output/files/${EVALUATION_ATTACHMENT}, a name ortq keeps for its own report`);
  }
  // the candidate's reference profile (built by the evaluate step from the eval rows and its outputs)
  const profile = await readJsonIfExists<ReferenceProfile>(join(plan.runDir, CANDIDATE_PROFILE));
  let created = true;
  try {
    await repo.save(name, join(plan.runDir, CANDIDATE_MODEL), {
      ...(profile ? { profile: { ...profile, model: { name, version, digest: args.evaluation.candidate.digest } } } : {}),
      version,
      labels: { verdict: decision.verdict, trainRun: plan.runId },
      metadata: {
        train: {
          runId: plan.runId,
          verdict: decision.verdict,
          headline: decision.headline,
          metrics: args.evaluation.candidate.metrics,
          reportedByTrainer: args.train.reportedMetrics ?? null,
        },
      },
      lineage: lineageOf(plan, args.data, args.evaluation, await gitCommit(args.cwd ?? process.cwd())),
      attachments: [evalFile, ...args.train.files.map((f) => join(plan.runDir, f))],
    });
  } catch (err) {
    if (!isOrtqError(err, 'ORTQ_MODEL_EXISTS')) throw err;
    created = false;
  }
  const saved = await repo.resolve(`${name}:${version}`);
  if (saved.manifest.labels.trainRun !== plan.runId) {
    throw new OrtqError('ORTQ_INTERNAL', `${saved.tag} exists but was registered by run ${saved.manifest.labels.trainRun}, not ${plan.runId}`);
  }
  await setVerdict(repo, name, version, {
    verdict: decision.verdict, reasons: decision.reasons.map((r) => r.message), trainRun: plan.runId, at: new Date().toISOString(), by: 'train',
  }, { ifAbsent: true });
  return { name, version, tag: saved.tag, digest: saved.digest, created };
}
