import { OrtqError, toOrtqError } from '../errors.js';
import { loadKind, type KindEntry } from '../kinds/registry.js';
import type { RunPlanBase, StepPlan } from '../kinds/types.js';
import type { Logger } from '../logger.js';
import { RunLedger } from '../runs/ledger.js';
import { readReceipts, writePlan } from '../runs/store.js';
import type { QueueClient } from './queue-client.js';
import type { QueuedRun } from './queued-runs.js';
import { stepJobId } from './queues.js';
import { buildRunFlow } from './run-flow.js';

export type SubmitOutcome =
  | { outcome: 'enqueued'; shardsEnqueued: number; record: QueuedRun | null }
  | { outcome: 'in-progress' | 'completed'; record: QueuedRun };

export interface SubmitOptions {
  attempts: number;
  backoffMs: number;
  /** recompute: the plan is built in a fresh directory beside the old run (see enqueue.ts) */
  force?: boolean;
  /** a finished manifest is on disk; without force the run is not redone */
  finishedOnDisk: boolean;
  schedule?: string | null;
  logger?: Logger;
  /** the ledger of the submitting machine @defaultValue the one in ORTQ_HOME */
  ledger?: RunLedger;
}

// an enqueuer that claimed a run but added no flow within this time is taken to have died
const STALE_CLAIM_MS = 60_000;

/**
 * Puts a planned run of any kind on the queue, once: claims the run record
 * (atomic; of any number of concurrent submitters exactly one wins), writes
 * the plan, removes what a previous attempt left in BullMQ, and adds one
 * flow holding every step that has no receipt yet. Shared by enqueue,
 * `runs retry` and the scheduler.
 */
export async function submitPlan(qc: QueueClient, kind: KindEntry, plan: RunPlanBase, steps: readonly StepPlan[], opts: SubmitOptions): Promise<SubmitOutcome> {
  const impl = await loadKind(kind.name);
  const base = {
    runId: plan.runId, kind: kind.name, runDir: plan.runDir, jobName: plan.job.name,
    // a predict run's pinned version; a train run: the model it trains (the kind says)
    model: plan.model?.tag ?? impl.recordModel?.(plan) ?? '', digest: plan.model?.digest ?? '',
    shards: steps.length, totalRows: plan.totalRows, enqueuedAt: new Date().toISOString(), schedule: opts.schedule ?? null,
  };
  const allowCompleted = Boolean(opts.force) || !opts.finishedOnDisk;
  let claim = await qc.store.claim(base, { allowCompleted });
  if (!claim.claimed && (claim.current.status === 'queued' || claim.current.status === 'running')) {
    const age = Date.now() - Date.parse(claim.current.enqueuedAt);
    if (age > STALE_CLAIM_MS && !(await qc.runs.getJob(plan.runId))) {
      opts.logger?.warn({ runId: plan.runId }, 'taking over a run whose enqueuer left no flow');
      claim = await qc.store.claim(base, { allowCompleted, staleClaim: claim.current.claim });
    }
  }
  if (!claim.claimed) {
    return { outcome: claim.current.status === 'completed' ? 'completed' : 'in-progress', record: claim.current };
  }
  try {
    await writePlan(plan);
    const receipts = await readReceipts(plan.runDir);
    const todo = steps.filter((s) => !receipts.has(s.id));
    await removeLeftovers(qc, kind, plan, steps);
    const guard = impl.exclusive?.(plan) ?? null;
    await qc.flowProducer.add(buildRunFlow(kind, plan, steps, { stepIndexes: todo.map((s) => s.index), attempts: opts.attempts, backoffMs: opts.backoffMs, guard, model: base.model }));
    await (opts.ledger ?? new RunLedger()).recordStart({
      runId: plan.runId, kind: kind.name, job: plan.job.name, runDir: plan.runDir, model: plan.model?.tag, digest: plan.model?.digest, mode: 'queue',
    }).catch(() => undefined);
    opts.logger?.info({ runId: plan.runId, model: plan.model?.tag, steps: todo.length, of: steps.length }, 'run enqueued');
    return { outcome: 'enqueued', shardsEnqueued: todo.length, record: await qc.store.get(plan.runId) };
  } catch (err) {
    const e = toOrtqError(err);
    // leave a claim that the next enqueue may take over at once
    await qc.store.finish(plan.runId, 'failed', [{ step: '*', code: e.code, message: `enqueue failed: ${e.message}` }]).catch(() => undefined);
    throw e;
  }
}

/**
 * BullMQ keeps a finished job (and so its id) until it is trimmed; adding a
 * flow whose parent id exists would add duplicate children to the old parent.
 * A claimed run therefore clears its old run job and step jobs first.
 */
async function removeLeftovers(qc: QueueClient, kind: KindEntry, plan: RunPlanBase, steps: readonly StepPlan[]): Promise<void> {
  const parent = await qc.runs.getJob(plan.runId);
  if (parent) {
    const state = await parent.getState();
    if (state === 'active') throw new OrtqError('ORTQ_RUN_IN_PROGRESS', `run ${plan.runId} is being finalized right now; try again in a moment`);
    await parent.remove({ removeChildren: true }).catch(() => undefined);
  }
  const queue = qc.queue(kind.queue);
  const ids = steps.map((s) => stepJobId(plan.runId, s.id));
  for (let i = 0; i < ids.length; i += 100) {
    await Promise.all(ids.slice(i, i + 100).map(async (id) => {
      const job = await queue.getJob(id);
      if (job) await job.remove().catch(() => undefined);
    }));
  }
}
