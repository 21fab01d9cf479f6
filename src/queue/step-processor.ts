/**
 * The sandboxed step processor: BullMQ runs this file in a child process, so
 * onnxruntime (or a trainer) never blocks the thread that renews job locks.
 * It serves every job kind: the kind comes from the job data, through the
 * registry. One child serves many steps (sessions stay cached per model
 * digest) until it asks to be recycled: after `ORTQ_RECYCLE_AFTER_SHARDS`
 * steps or above `ORTQ_RECYCLE_ABOVE_RSS_MB` of RSS (onnxruntime leaks when
 * sessions are recreated, so a fresh process is the cure).
 */
import { UnrecoverableError, type SandboxedJob } from 'bullmq';
import { loadConfig } from '../config.js';
import { errorToText, toOrtqError } from '../errors.js';
import { kindEntry, knownKinds, loadKind } from '../kinds/registry.js';
import type { RunPlanBase, StepReceipt } from '../kinds/types.js';
import { createLogger } from '../logger.js';
import { ModelRepository } from '../repo/model-repository.js';
import { runStepOnce } from '../runs/steps.js';
import { readPlan } from '../runs/store.js';
import type { StepJobData } from './run-flow.js';

export interface StepJobResult {
  receipt: StepReceipt;
  /** set when this child wants to be replaced once the job is released */
  retire: boolean;
  pid: number;
  rssMb: number;
}

// When the worker process dies (SIGKILL), its children must not outlive it:
// the step's lock expires and another worker takes it up. This file is the
// entry point of BullMQ's sandboxed child process (BullMQ's own child wrapper
// ends it the same way), so ending it here is the child's own exit point, as
// src/cli/main.ts is the CLI's; a throw from an event handler would only reach
// BullMQ's uncaughtException handler, which reports to the dead parent first.
process.on('disconnect', () => process.exit(1));

const config = loadConfig();
const logger = createLogger({ name: 'ortq-step' });
const repo = ModelRepository.fromConfig(config);
// the worker passes its settings down as ORTQ_RECYCLE_* in the child's environment, read by loadConfig
const recycleAfter = config.queue.recycleAfterShards;
const recycleAboveMb = config.queue.recycleAboveRssMb;
const plans = new Map<string, RunPlanBase>();
let stepsDone = 0;

async function planFor(data: StepJobData): Promise<RunPlanBase> {
  const key = `${data.runId}\0${data.runDir}`;
  let plan = plans.get(key);
  if (!plan) {
    plan = await readPlan(data.runDir);
    plans.clear(); // one run at a time is the common case; do not grow without bound
    plans.set(key, plan);
  }
  return plan;
}

export default async function processStep(job: SandboxedJob<StepJobData>): Promise<StepJobResult> {
  const data = job.data;
  // a sequence kind's steps are pipeline steps (train), a parallel kind's shards of rows (predict)
  const stepKey = knownKinds().includes(data.kind) && kindEntry(data.kind).order === 'sequence' ? 'step' : 'shardId';
  const log = logger.child({ runId: data.runId, [stepKey]: data.stepId, model: data.model, jobId: job.id, attempt: job.attemptsMade + 1 });
  // the first report comes after 500 ms too: a short step reports nothing but its completion
  let lastReport = Date.now();
  try {
    const kind = await loadKind(data.kind);
    const plan = await planFor(data);
    const step = kind.steps(plan)[data.stepIndex];
    if (!step || step.id !== data.stepId) throw toOrtqError(new Error(`run ${data.runId} has no step ${data.stepIndex} (${data.stepId})`));
    const { receipt } = await runStepOnce(kind, plan, step, {
      config,
      repo,
      logger: log,
      onProgress: (rows) => {
        const now = Date.now();
        if (now - lastReport < 500) return;
        lastReport = now;
        // progress is advisory: a lost update must not fail the step
        job.updateProgress({ rows }).catch(() => undefined);
      },
    });
    stepsDone++;
    const rssMb = Math.round(process.memoryUsage.rss() / 2 ** 20);
    const retire = stepsDone >= recycleAfter || rssMb > recycleAboveMb;
    if (retire) log.info({ stepsDone, rssMb }, 'step process retiring');
    return { receipt, retire, pid: process.pid, rssMb };
  } catch (err) {
    const e = toOrtqError(err);
    log.warn({ code: e.code, err: e.message, retryable: e.retryable }, 'step error');
    // the failedReason is the error as JSON (code, message, details, cause); only transient errors are retried
    const reason = errorToText(e);
    throw e.retryable ? new Error(reason) : new UnrecoverableError(reason);
  }
}
