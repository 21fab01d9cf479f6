import type { OrtqConfig } from '../config.js';
import { OrtqError } from '../errors.js';
import { kindEntry, loadKind } from '../kinds/registry.js';
import type { RunPlanBase } from '../kinds/types.js';
import type { Logger } from '../logger.js';
import { RunLedger } from '../runs/ledger.js';
import { readPlan, readReceipts } from '../runs/store.js';
import { assertInputsUnchanged, recordedInputs } from './input-check.js';
import type { QueueClient } from './queue-client.js';
import { submitPlan } from './submit.js';

async function runDirOf(qc: QueueClient, runId: string, ledger: RunLedger): Promise<string> {
  const rec = await qc.store.get(runId);
  if (rec) return rec.runDir;
  return (await ledger.get(runId)).runDir;
}

/**
 * Re-runs only the steps of a run that have no receipt (failed, cancelled or
 * never run), with the plan, model version and digest fixed at enqueue time.
 */
export async function retryRun(qc: QueueClient, runId: string, opts: { config: Readonly<OrtqConfig>; logger?: Logger; ledger?: RunLedger }): Promise<{ runId: string; shards: string[] }> {
  const ledger = opts.ledger ?? new RunLedger();
  const plan = await readPlan<RunPlanBase>(await runDirOf(qc, runId, ledger));
  const name = (plan.job as { kind?: string }).kind ?? 'predict';
  const kind = await loadKind(name);
  // the run id stands for the recorded inputs: a changed one means a new run, not a retry
  await assertInputsUnchanged(runId, recordedInputs(plan as { inputs?: unknown }), plan.job.name);
  const steps = kind.steps(plan);
  const receipts = await readReceipts(plan.runDir);
  const missing = steps.filter((s) => !receipts.has(s.id)).map((s) => s.id);
  const res = await submitPlan(qc, kindEntry(name), plan, steps, {
    attempts: opts.config.queue.attempts, backoffMs: opts.config.queue.backoffMs, finishedOnDisk: missing.length === 0, logger: opts.logger, ledger,
  });
  if (res.outcome === 'in-progress') throw new OrtqError('ORTQ_RUN_IN_PROGRESS', `run ${runId} is ${res.record.status}; nothing to retry yet`);
  if (res.outcome === 'completed') return { runId, shards: [] };
  return { runId, shards: missing };
}

/**
 * Cancels a queued run: marks it cancelled (steps not yet started are
 * refused), removes the steps still waiting; steps already running finish,
 * and the run is not finalized.
 */
export async function cancelRun(qc: QueueClient, runId: string, opts: { ledger?: RunLedger } = {}): Promise<{ runId: string; removed: boolean; previous: string }> {
  const rec = await qc.store.get(runId);
  if (!rec) throw new OrtqError('ORTQ_RUN_NOT_FOUND', `no queued run "${runId}" — see "ortq status" or "ortq runs list"`);
  if (rec.status !== 'queued' && rec.status !== 'running') {
    throw new OrtqError('ORTQ_USAGE', `run ${runId} is ${rec.status}; only queued or running runs can be cancelled`);
  }
  await qc.store.finish(runId, 'cancelled', rec.failures);
  let removed = false;
  const parent = await qc.runs.getJob(runId);
  if (parent) {
    try {
      await parent.remove({ removeChildren: true });
      removed = true;
    } catch {
      // a step is locked by a worker: drop the ones not started, the rest end on their own
      await parent.removeUnprocessedChildren().catch(() => undefined);
    }
  }
  const ledger = opts.ledger ?? new RunLedger();
  const local = await ledger.raw(runId).catch(() => null);
  if (local) await ledger.record({ ...local, status: 'cancelled', finishedAt: new Date().toISOString() }).catch(() => undefined);
  return { runId, removed, previous: rec.status };
}
