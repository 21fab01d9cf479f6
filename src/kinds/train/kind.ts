import { hostname } from 'node:os';
import type { JobKind, RunManifestBase, RunPlanBase, StepPlan, StepReceipt } from '../types.js';
import { buildTrainManifest, trainDetailLines, trainSummaryFields, trainSummaryLine, type TrainManifest, type TrainReceipts } from './manifest.js';
import { buildTrainPlan } from './plan.js';
import { currentChampion, fingerprints, trainerIdentity, trainOutputRoot } from './plan-run.js';
import { readReceipt, STEP_ORDER, type StepName } from './run-files.js';
import { checkBuiltinHyperparameters, parseTrainJob } from './spec.js';
import { runTrainStep } from './steps.js';
import { isCommandTrainer, type ModelRef, type TrainerIdentity, type TrainJob, type TrainPlan } from './types.js';

interface TrainFacts { inputs: TrainPlan['inputs']; trainer: TrainerIdentity; warm: ModelRef | null }
type Plan = TrainPlan & RunPlanBase;
type Manifest = TrainManifest & RunManifestBase;

/**
 * `kind: train` on the run core: six steps in sequence (train → validate →
 * evaluate → decide → register → promote), each reading the receipts of the
 * ones before it, so each can run on another queue worker.
 */
export const trainKind: JobKind<TrainJob, TrainFacts, Plan, Manifest> = {
  name: 'train',
  queue: 'train',
  order: 'sequence',
  parseSpec(raw, opts) {
    return checkBuiltinHyperparameters(parseTrainJob(raw, { baseDir: opts.baseDir, source: opts.source }), opts.source);
  },
  outputRoot: (spec) => trainOutputRoot(spec),
  async gather(spec, ctx) {
    const train = await fingerprints(spec.data.train.path, spec.data.train.format);
    const evalInputs = 'path' in spec.data.eval ? await fingerprints(spec.data.eval.path, spec.data.eval.format) : [];
    const warm = isCommandTrainer(spec.trainer) && spec.trainer.warmStart ? await currentChampion(spec, ctx.repo) : null;
    return { inputs: { train, eval: evalInputs }, trainer: await trainerIdentity(spec), warm };
  },
  plan(spec, facts, opts) {
    const p = buildTrainPlan({ job: spec, trainer: facts.trainer, inputs: facts.inputs, warmStartFrom: facts.warm, outputRoot: '/', now: opts.now });
    return { ...p, runDir: opts.runDirFor(p.runId), totalRows: null };
  },
  steps: () => STEP_ORDER.map((id, index): StepPlan => ({ index, id, rows: null })),
  // one training per model at a time: two runs of the same model would evaluate against the same champion
  exclusive: (plan) => `train:${plan.job.model}`,
  // registration happens in the model repository: an attempt, once it may have registered, is resumed, never redone
  effectsOutsideRun: true,
  async runStep(plan, step, ctx) {
    const startedAt = new Date().toISOString();
    const detail = await runTrainStep(plan, step.id as StepName, {
      repo: ctx.repo,
      inference: ctx.config.inference,
      logger: ctx.logger,
      onProgress: () => ctx.onProgress?.(0),
      receipt: async <T>(s: StepName) => (await readReceipt<T>(plan.runDir, s)) as T,
    });
    return {
      step: step.id, files: [], rows: { read: 0, written: 0, skipped: 0 },
      startedAt, finishedAt: new Date().toISOString(), host: hostname(), pid: process.pid,
      detail: detail as Record<string, unknown>,
    } satisfies StepReceipt;
  },
  finalize(plan, receipts, info) {
    const details = Object.fromEntries([...receipts].map(([id, r]) => [id, r.detail])) as TrainReceipts;
    return buildTrainManifest(plan, details, {
      mode: info.mode, startedAt: info.startedAt, finishedAt: info.finishedAt,
      failures: info.failures.map((f) => ({ step: f.step, code: f.code, message: f.message })),
      versions: info.versions, host: info.host,
    }) as Manifest;
  },
  summary: (m) => ({ text: trainSummaryLine(m) }),
  summaryFields: (m) => trainSummaryFields(m),
  details: (m) => trainDetailLines(m),
  recordModel: (plan) => plan.job.model,
  outcome: (m) => ({
    model: m.job.spec.model,
    verdict: m.status === 'completed' ? m.verdict ?? 'none' : 'failed',
    promoted: m.status === 'completed' && m.promoted,
  }),
};
