import type { OrtqConfig } from '../config.js';
import { kindEntry, loadKind } from '../kinds/registry.js';
import type { JobSpecBase, RunManifestBase, RunPlanBase } from '../kinds/types.js';
import type { Logger } from '../logger.js';
import type { ModelRepository } from '../repo/model-repository.js';
import { findAttempt } from '../runs/finalize.js';
import { runLayout } from '../runs/layout.js';
import type { RunLedger } from '../runs/ledger.js';
import { inspectRun, unfinishDamaged } from '../runs/resume.js';
import { readRunManifest } from '../runs/store.js';
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
  ledger?: RunLedger;
}

export interface EnqueueResult {
  plan: RunPlanBase;
  /** enqueued: a flow was added; existing: finished already (not redone); in-progress: someone else's flow runs it */
  outcome: 'enqueued' | 'existing' | 'in-progress';
  manifest: RunManifestBase | null;
  record: QueuedRun | null;
  shardsEnqueued: number;
  /** steps re-enqueued because the finished run's files were missing or changed (ORTQ_RUN_DAMAGED) */
  repaired: string[];
}

/**
 * Plans a job of any kind (the model pinned by digest now, inputs
 * fingerprinted, run id derived as `ortq run` does) and puts it on the queue
 * once. A finished, intact run is reported, not redone, unless `force`; a
 * finished run with damaged files has only its damaged steps redone.
 * `force` builds the new run beside the old one; the finalizer swaps it in.
 */
export async function enqueueJob(qc: QueueClient, spec: JobSpecBase, opts: EnqueueOptions): Promise<EnqueueResult> {
  const entry = kindEntry(spec.kind);
  const kind = await loadKind(spec.kind);
  const outputRoot = kind.outputRoot(spec);
  const facts = await kind.gather(spec, { config: opts.config, repo: opts.repo, logger: opts.logger });
  const fresh: RunPlanBase = kind.plan(spec, facts, {
    shardRows: opts.shardRows ?? opts.config.queue.shardRows,
    runDirFor: (id: string) => runLayout.runDir(outputRoot, id),
  });
  const state = await inspectRun(kind, fresh);
  let plan = state.plan;
  const repaired: string[] = [];
  if (state.intact && !opts.force) {
    return { plan, outcome: 'existing', manifest: state.manifest, record: await qc.store.get(plan.runId), shardsEnqueued: 0, repaired };
  }
  if (opts.force && state.manifest) {
    // a kind that acts outside its run directory (train: registers a version) resumes its unfinished --force attempt
    const attempt = kind.effectsOutsideRun ? await findAttempt(outputRoot, fresh.runId) : null;
    plan = attempt ? (await inspectRun(kind, { ...fresh, runDir: attempt })).plan : { ...fresh, runDir: runLayout.stagingDir(outputRoot, fresh.runId) };
  } else if (state.damaged.size > 0) {
    const warning = await unfinishDamaged(plan.runId, plan.runDir, state.damaged);
    opts.logger?.warn({ code: warning.code, runId: plan.runId, files: warning.details?.files }, warning.message);
    repaired.push(...state.damaged.keys());
  }
  const res = await submitPlan(qc, entry, plan, kind.steps(plan), {
    attempts: opts.config.queue.attempts,
    backoffMs: opts.config.queue.backoffMs,
    force: opts.force,
    finishedOnDisk: state.intact,
    schedule: opts.schedule,
    logger: opts.logger,
    ledger: opts.ledger,
  });
  if (res.outcome === 'enqueued') return { plan, outcome: 'enqueued', manifest: null, record: res.record, shardsEnqueued: res.shardsEnqueued, repaired };
  if (res.outcome === 'completed') {
    return { plan: state.plan, outcome: 'existing', manifest: await readRunManifest(state.plan.runDir), record: res.record, shardsEnqueued: 0, repaired };
  }
  return { plan: state.plan, outcome: 'in-progress', manifest: null, record: res.record, shardsEnqueued: 0, repaired };
}
