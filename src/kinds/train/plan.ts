import { createHash, randomBytes } from 'node:crypto';
import { runLayout } from '../../runs/layout.js';
import { NOT_IN_RUN_ID } from './spec-schema.js';
import type { InputFingerprint, ModelRef, TrainerIdentity, TrainJob, TrainPlan } from './types.js';

/**
 * Pure planning of a training run: the run id is computed from what
 * determines the candidate, so it is testable without disk, Redis or
 * onnxruntime. plan-run.ts gathers the data.
 */

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * What of `promote` the run id covers: the mode and the replay gate (they
 * decide the run's verdict), not the rollback watch (it acts after the run).
 * A bare mode hashes as the string it was written as.
 */
function promoteForRunId(p: TrainJob['promote']): unknown {
  return p.replay ? { mode: p.mode, replay: p.replay } : p.mode;
}

/**
 * The train run id: job name plus a hash of the normalized spec, the train and
 * eval fingerprints, the trainer identity, hyperparameters and seed, and the
 * parent's digest only when the trainer warm-starts from it. The champion the
 * candidate is evaluated against is not part of it: running the job again
 * after its own candidate was promoted is a no-op.
 */
export function computeTrainRunId(args: {
  job: TrainJob;
  trainer: TrainerIdentity;
  inputs: TrainPlan['inputs'];
  warmStartFrom: ModelRef | null;
}): string {
  const fp = (list: InputFingerprint[]) => list.map((i) => [i.path, i.digest]);
  const h = createHash('sha256')
    .update(canonical({
      // 2: input digests are xxh3-64 (run format 2); every train run id changed once with it
      v: 2,
      kind: 'train',
      job: { ...Object.fromEntries(Object.entries(args.job).filter(([k]) => !(NOT_IN_RUN_ID as readonly string[]).includes(k))), promote: promoteForRunId(args.job.promote) },
      trainer: args.trainer,
      hyperparameters: args.job.hyperparameters,
      seed: args.job.seed,
      train: fp(args.inputs.train),
      eval: fp(args.inputs.eval),
      parent: args.warmStartFrom?.digest ?? null,
    }))
    .digest('hex');
  return `${args.job.name}-${h.slice(0, 20)}`;
}

export function buildTrainPlan(args: {
  job: TrainJob;
  trainer: TrainerIdentity;
  inputs: TrainPlan['inputs'];
  warmStartFrom: ModelRef | null;
  outputRoot: string;
  now?: Date;
}): TrainPlan {
  const runId = computeTrainRunId(args);
  return {
    runId,
    kind: 'train',
    runDir: runLayout.runDir(args.outputRoot, runId),
    job: args.job,
    trainer: args.trainer,
    inputs: args.inputs,
    warmStartFrom: args.warmStartFrom,
    createdAt: (args.now ?? new Date()).toISOString(),
    attempt: randomBytes(6).toString('hex'),
  };
}
