import { rename, rm } from 'node:fs/promises';
import { OrtqError, toOrtqError } from '../errors.js';
import type { Logger } from '../logger.js';
import { writeRunRecord } from '../predict/run-ledger.js';
import { readShardReceipts, writePlan } from '../predict/run-store.js';
import type { RunPlan } from '../predict/types.js';
import type { QueueClient } from './queue-client.js';
import type { QueuedRun } from './queued-runs.js';
import { JOB_KINDS, shardJobId } from './queues.js';
import { buildRunFlow } from './run-flow.js';

export type SubmitOutcome =
  | { outcome: 'enqueued'; shardsEnqueued: number; record: QueuedRun | null }
  | { outcome: 'in-progress' | 'completed'; record: QueuedRun };

export interface SubmitOptions {
  attempts: number;
  backoffMs: number;
  /** recompute: the old run directory is removed first */
  force?: boolean;
  /** a finished manifest is on disk; without force the run is not redone */
  finishedOnDisk: boolean;
  schedule?: string | null;
  logger?: Logger;
}

// an enqueuer that claimed a run but added no flow within this time is taken to have died
const STALE_CLAIM_MS = 60_000;

/**
 * Puts a planned run on the queue, once: claims the run record (atomic; of any
 * number of concurrent submitters exactly one wins), writes the plan, removes
 * what a previous attempt left in BullMQ, and adds one flow with a child for
 * every shard that has no receipt yet. Shared by enqueue, `runs retry` and the
 * scheduler.
 */
export async function submitPlan(qc: QueueClient, plan: RunPlan, opts: SubmitOptions): Promise<SubmitOutcome> {
  const base = {
    runId: plan.runId, runDir: plan.runDir, jobName: plan.job.name, model: plan.model.tag, digest: plan.model.digest,
    shards: plan.shards.length, totalRows: plan.totalRows, enqueuedAt: new Date().toISOString(), schedule: opts.schedule ?? null,
  };
  let claim = await qc.store.claim(base, { allowCompleted: Boolean(opts.force) || !opts.finishedOnDisk });
  if (!claim.claimed && (claim.current.status === 'queued' || claim.current.status === 'running')) {
    const age = Date.now() - Date.parse(claim.current.enqueuedAt);
    if (age > STALE_CLAIM_MS && !(await qc.runs.getJob(plan.runId))) {
      opts.logger?.warn({ runId: plan.runId }, 'taking over a run whose enqueuer left no flow');
      claim = await qc.store.claim(base, { allowCompleted: Boolean(opts.force) || !opts.finishedOnDisk, staleClaim: claim.current.claim });
    }
  }
  if (!claim.claimed) {
    return { outcome: claim.current.status === 'completed' ? 'completed' : 'in-progress', record: claim.current };
  }
  try {
    if (opts.force) {
      // move the old run aside first so that nothing half-recomputed looks finished
      const trash = `${plan.runDir}.old-${process.pid}-${Date.now()}`;
      await rename(plan.runDir, trash).catch(() => undefined);
      await rm(trash, { recursive: true, force: true });
    }
    await writePlan(plan);
    const receipts = opts.force ? new Map() : await readShardReceipts(plan);
    const todo = plan.shards.filter((s) => !receipts.has(s.id));
    await removeLeftovers(qc, plan);
    await qc.flowProducer.add(buildRunFlow(plan, { shardIndexes: todo.map((s) => s.index), attempts: opts.attempts, backoffMs: opts.backoffMs }));
    await writeRunRecord({
      runId: plan.runId, job: plan.job.name, status: 'queued', runDir: plan.runDir, model: plan.model.tag,
      digest: plan.model.digest, rows: 0, startedAt: base.enqueuedAt, mode: 'queue',
    }).catch(() => undefined);
    opts.logger?.info({ runId: plan.runId, model: plan.model.tag, shards: todo.length, of: plan.shards.length }, 'run enqueued');
    return { outcome: 'enqueued', shardsEnqueued: todo.length, record: await qc.store.get(plan.runId) };
  } catch (err) {
    const e = toOrtqError(err);
    // leave a claim that the next enqueue may take over at once
    await qc.store.finish(plan.runId, 'failed', [{ shard: '*', code: e.code, message: `enqueue failed: ${e.message}` }]).catch(() => undefined);
    throw e;
  }
}

/**
 * BullMQ keeps a finished job (and so its id) until it is trimmed; adding a
 * flow whose parent id exists would add duplicate children to the old parent.
 * A claimed run therefore clears its old run job and shard jobs first.
 */
async function removeLeftovers(qc: QueueClient, plan: RunPlan): Promise<void> {
  const parent = await qc.runs.getJob(plan.runId);
  if (parent) {
    const state = await parent.getState();
    if (state === 'active') throw new OrtqError('ORTQ_RUN_IN_PROGRESS', `run ${plan.runId} is being finalized right now; try again in a moment`);
    await parent.remove({ removeChildren: true }).catch(() => undefined);
  }
  const shards = qc.queue(JOB_KINDS.predict.queue);
  const ids = plan.shards.map((s) => shardJobId(plan.runId, s.id));
  for (let i = 0; i < ids.length; i += 100) {
    await Promise.all(ids.slice(i, i + 100).map(async (id) => {
      const job = await shards.getJob(id);
      if (job) await job.remove().catch(() => undefined);
    }));
  }
}
