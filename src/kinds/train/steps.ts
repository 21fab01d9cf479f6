import type { Logger } from 'pino';
import type { OrtqConfig } from '../../config.js';
import { isOrtqError } from '../../errors.js';
import type { LoadedModel, ModelRepository } from '../../repo/model-repository.js';
import { prepareData, type PreparedData } from './data.js';
import { decide, type ChampionOutcome, type Decision } from './decide.js';
import { promoteCandidate } from './promote.js';
import { registerCandidate, type RegisterReceipt } from './register.js';
import type { StepName } from './run-files.js';
import { evaluateRun, type EvaluationReceipt } from './step-evaluate.js';
import { trainCandidate, type TrainReceipt } from './step-train.js';
import { isCommandTrainer, type TrainPlan } from './types.js';
import { validateCandidate, type ValidateReceipt } from './validate.js';

/** What a step may use; `receipt` reads the receipt of an earlier step of the same run. */
export interface TrainStepContext {
  repo: ModelRepository;
  inference?: OrtqConfig['inference'];
  logger?: Logger;
  /** directory whose git commit the lineage records @defaultValue process.cwd() */
  cwd?: string;
  onProgress?: (fraction: number) => void;
  receipt<T>(step: StepName): Promise<T>;
}

/** The train receipt also keeps what registration needs from the data, so later steps need not read it again. */
export type TrainStepReceipt = TrainReceipt & { classes: PreparedData['classes']; inputs: PreparedData['inputs'] };

// one preparation per run per process: train and evaluate read the same data
const prepared = new Map<string, Promise<PreparedData>>();

function dataFor(plan: TrainPlan): Promise<PreparedData> {
  const key = `${plan.runId}\0${plan.attempt}`;
  let p = prepared.get(key);
  if (!p) {
    prepared.clear();
    p = prepareData(plan);
    prepared.set(key, p);
    p.catch(() => prepared.delete(key));
  }
  return p;
}

async function warmStartModel(plan: TrainPlan, repo: ModelRepository): Promise<LoadedModel | null> {
  const job = plan.job;
  if (!isCommandTrainer(job.trainer)) return null;
  const tag = plan.warmStartFrom?.tag ?? job.champion;
  if (!tag) return null;
  try {
    return await repo.load(tag);
  } catch (err) {
    if (isOrtqError(err, 'ORTQ_MODEL_NOT_FOUND')) return null;
    throw err;
  }
}

function championOutcome(e: EvaluationReceipt): ChampionOutcome {
  if (!e.champion) return { missing: true };
  return 'error' in e.champion ? { error: e.champion.error } : { metrics: e.champion.evaluation.metrics };
}

/**
 * Runs one step of the pipeline train → validate → evaluate → decide →
 * register → promote and returns its receipt. Each step reads what it needs
 * from the receipts of the steps before it, so any step can run in a fresh
 * process (a resumed run, another queue worker).
 */
export async function runTrainStep(plan: TrainPlan, step: StepName, ctx: TrainStepContext): Promise<unknown> {
  switch (step) {
    case 'train': {
      const data = await dataFor(plan);
      const r = await trainCandidate(plan, {
        data, champion: await warmStartModel(plan, ctx.repo), logger: ctx.logger, onProgress: ctx.onProgress,
      });
      return { ...r, classes: data.classes, inputs: data.inputs } satisfies TrainStepReceipt;
    }
    case 'validate':
      return validateCandidate(plan);
    case 'evaluate':
      return evaluateRun(plan, { data: await dataFor(plan), validated: await ctx.receipt<ValidateReceipt>('validate'), repo: ctx.repo, inference: ctx.inference });
    case 'decide': {
      const e = await ctx.receipt<EvaluationReceipt>('evaluate');
      return decide(plan.job, e.candidate.metrics, championOutcome(e));
    }
    case 'register': {
      const train = await ctx.receipt<TrainStepReceipt>('train');
      return registerCandidate(plan, {
        repo: ctx.repo, data: train, train, evaluation: await ctx.receipt<EvaluationReceipt>('evaluate'),
        decision: await ctx.receipt<Decision>('decide'), cwd: ctx.cwd,
      });
    }
    case 'promote':
      return promoteCandidate(plan, {
        repo: ctx.repo, decision: await ctx.receipt<Decision>('decide'),
        evaluation: await ctx.receipt<EvaluationReceipt>('evaluate'), registered: await ctx.receipt<RegisterReceipt>('register'),
        validated: await ctx.receipt<ValidateReceipt>('validate'), inference: ctx.inference,
      });
  }
}
