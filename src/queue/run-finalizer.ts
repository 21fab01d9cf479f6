import { UnrecoverableError, type Job, type Queue } from 'bullmq';
import { OrtqError, errorFromText, errorToText } from '../errors.js';
import { loadKind } from '../kinds/registry.js';
import type { AnyJobKind, RunManifestBase, RunOutcome, StepFailure, StepPlan } from '../kinds/types.js';
import type { Logger } from '../logger.js';
import { finalizeRun } from '../runs/finalize.js';
import { RunLedger } from '../runs/ledger.js';
import type { VerifiedFiles } from '../runs/verified-files.js';
import { readPlan } from '../runs/store.js';
import type { QueuedRunStore } from './queued-runs.js';
import { parseStepJobId, stepJobId } from './queues.js';
import type { RunJobData } from './run-flow.js';

export interface RunJobResult {
  runId: string;
  status: RunManifestBase['status'];
  rows?: RunManifestBase['rows'];
  failures?: RunManifestBase['failures'];
}

/** Failed steps of a run job, from the children it ignored (`ignoreDependencyOnFailure`); reasons are errors as JSON. */
async function failedSteps(job: Job<RunJobData>): Promise<StepFailure[]> {
  const ignored = await job.getIgnoredChildrenFailures();
  return Object.entries(ignored).map(([key, reason]) => {
    const jobId = key.slice(key.lastIndexOf(':') + 1);
    const step = parseStepJobId(jobId)?.stepId ?? jobId;
    const e = errorFromText(reason);
    return { step, code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) };
  }).sort((a, b) => a.step.localeCompare(b.step));
}

/**
 * In a chain (a sequence kind) a failed step fails the steps after it with
 * BullMQ's own "child … failed" reason; the step that failed first carries
 * the real error. Those are read from the step jobs themselves.
 */
async function failedChainSteps(queue: Queue, runId: string, steps: readonly StepPlan[]): Promise<StepFailure[]> {
  const out: StepFailure[] = [];
  for (const s of steps) {
    const j = await queue.getJob(stepJobId(runId, s.id));
    if (!j?.failedReason || !j.failedReason.startsWith('{')) continue;
    const e = errorFromText(j.failedReason);
    out.push({ step: s.id, code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) });
  }
  return out;
}

/**
 * Processor of run jobs (the flow parents): runs once every step has
 * completed or finally failed, finalizes the run through the run core
 * (verification, run.json last, swap of a --force rebuild) and closes the
 * run record in Redis. Light work, so it runs in the worker process itself.
 */
export function runFinalizer(store: QueuedRunStore, logger: Logger, queues: (name: string) => Queue, ledger: RunLedger = new RunLedger(), hooks: FinalizerHooks = {}) {
  const finalize = runFinalizerBody(store, logger, queues, ledger, hooks.verified);
  return async (job: Job<RunJobData>): Promise<RunJobResult> => {
    try {
      return await finalize(job);
    } finally {
      hooks.verified?.forgetUnder(job.data.runDir);
      // whatever happened, the run holds its exclusive resource no longer
      if (job.data.guard) await hooks.release?.(job.data.guard, job.data.runId).catch(() => undefined);
    }
  };
}

/** What the worker does around finalizing a run: giving up the run's exclusive resource; the parts it read back already. */
export interface FinalizerHooks {
  release?(resource: string, runId: string): Promise<unknown>;
  /** files of acknowledged steps, vouched for by the step process that wrote them (finalizeRun's `verified`), forgotten once the run is finalized */
  verified?: VerifiedFiles;
}

/** The kind's outcome of a finished run, for the training metrics; a kind that fails to say is logged and not counted. */
function outcomeOf(kind: AnyJobKind, manifest: RunManifestBase, log: Logger): RunOutcome | null {
  try {
    return kind.outcome?.(manifest) ?? null;
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'training statistics not recorded');
    return null;
  }
}

function runFinalizerBody(store: QueuedRunStore, logger: Logger, queues: (name: string) => Queue, ledger: RunLedger, verified?: VerifiedFiles) {
  return async (job: Job<RunJobData>): Promise<RunJobResult> => {
    const { runId, runDir } = job.data;
    const log = logger.child({ runId, model: job.data.model });
    const rec = await store.get(runId);
    if (rec?.status === 'cancelled') {
      log.info('run was cancelled; not finalized');
      return { runId, status: 'cancelled' };
    }
    const kind = await loadKind(job.data.kind ?? 'predict');
    const plan = await readPlan(runDir);
    let failures = await failedSteps(job);
    if (kind.order === 'sequence' && failures.length > 0) {
      const chain = await failedChainSteps(queues(kind.queue), runId, kind.steps(plan));
      if (chain.length > 0) failures = chain;
    }
    const manifest = await finalizeRun<RunManifestBase>(kind, plan, {
      mode: 'queue',
      startedAt: rec?.startedAt ?? rec?.enqueuedAt ?? plan.createdAt,
      failures,
      ledger,
      verified,
    });
    // the run statistics (and a training run's outcome) are counted by the same script that closes the
    // record, once per run end: a finalizer that BullMQ retries counts nothing again
    await store.finish(runId, manifest.status, manifest.failures ?? [], {
      durationSeconds: manifest.durationMs / 1000,
      ...(manifest.summary !== undefined ? { summary: manifest.summary } : {}),
      outcome: outcomeOf(kind, manifest, log),
    });
    if (manifest.status === 'completed') {
      log.info({ rows: manifest.rows, durationMs: manifest.durationMs }, 'run completed');
      return { runId, status: manifest.status, rows: manifest.rows, failures: manifest.failures };
    }
    log.warn({ failures: manifest.failures }, 'run failed');
    // the run job ends failed too, so that BullMQ, the dashboard and ortq_queue_jobs agree with the
    // run record; unrecoverable: the manifest is written, another attempt would only write it again
    const failed = manifest.failures ?? [];
    const why = new OrtqError('ORTQ_RUN_FAILED', `run ${runId} failed (${failed.length} step(s)): ${failed.map((f) => `${f.step}: ${f.code}`).join('; ')}`, { runId, failures: failed });
    throw new UnrecoverableError(errorToText(why));
  };
}
