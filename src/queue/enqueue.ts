import type { OrtqConfig } from '../config.js';
import type { Logger } from '../logger.js';
import { planRun } from '../predict/plan-run.js';
import { readRunManifest } from '../predict/run-store.js';
import type { PredictJob, RunManifest, RunPlan } from '../predict/types.js';
import type { ModelRepository } from '../repo/model-repository.js';
import type { QueueClient } from './queue-client.js';
import type { QueuedRun } from './queued-runs.js';
import { submitPlan } from './submit.js';

export interface EnqueueOptions {
  config: Readonly<OrtqConfig>;
  repo: ModelRepository;
  /** target rows per shard @defaultValue config.queue.shardRows */
  shardRows?: number;
  force?: boolean;
  /** the schedule that enqueued this run, recorded with it */
  schedule?: string | null;
  logger?: Logger;
}

export interface EnqueueResult {
  plan: RunPlan;
  /** enqueued: a flow was added; existing: finished already (not redone); in-progress: someone else's flow runs it */
  outcome: 'enqueued' | 'existing' | 'in-progress';
  manifest: RunManifest | null;
  record: QueuedRun | null;
  shardsEnqueued: number;
}

/**
 * Plans a predict job (model tag resolved to an exact version and digest now,
 * inputs fingerprinted, run id derived as `ortq run` does) and puts it on the
 * queue once. A finished run is reported, not redone, unless `force`.
 */
export async function enqueueJob(qc: QueueClient, job: PredictJob, opts: EnqueueOptions): Promise<EnqueueResult> {
  const plan = await planRun(job, { repo: opts.repo, shardRows: opts.shardRows ?? opts.config.queue.shardRows });
  const manifest = await readRunManifest(plan.runDir);
  const finished = manifest?.status === 'completed';
  if (finished && !opts.force) {
    return { plan, outcome: 'existing', manifest, record: await qc.store.get(plan.runId), shardsEnqueued: 0 };
  }
  const res = await submitPlan(qc, plan, {
    attempts: opts.config.queue.attempts,
    backoffMs: opts.config.queue.backoffMs,
    force: opts.force,
    finishedOnDisk: finished,
    schedule: opts.schedule,
    logger: opts.logger,
  });
  if (res.outcome === 'enqueued') return { plan, outcome: 'enqueued', manifest: null, record: res.record, shardsEnqueued: res.shardsEnqueued };
  if (res.outcome === 'completed') {
    return { plan, outcome: 'existing', manifest: await readRunManifest(plan.runDir), record: res.record, shardsEnqueued: 0 };
  }
  return { plan, outcome: 'in-progress', manifest: null, record: res.record, shardsEnqueued: 0 };
}
