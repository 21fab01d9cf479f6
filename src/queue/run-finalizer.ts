import type { Job } from 'bullmq';
import type { Logger } from '../logger.js';
import { finalizeRun } from '../predict/finalize.js';
import { readPlan } from '../predict/run-store.js';
import type { RunManifest } from '../predict/types.js';
import type { QueuedRunStore } from './queued-runs.js';
import { parseShardJobId } from './queues.js';
import { parseFailedReason, type RunJobData } from './run-flow.js';

export interface RunJobResult {
  runId: string;
  status: RunManifest['status'];
  rows?: RunManifest['rows'];
  failures?: RunManifest['failures'];
}

/** Failed shards of a run job, from the children it ignored (`ignoreDependencyOnFailure`). */
async function failedShards(job: Job<RunJobData>): Promise<Array<{ shard: string; code: string; message: string }>> {
  const ignored = await job.getIgnoredChildrenFailures();
  return Object.entries(ignored).map(([key, reason]) => {
    const jobId = key.slice(key.lastIndexOf(':') + 1);
    const shard = parseShardJobId(jobId)?.shardId ?? jobId;
    return { shard, ...parseFailedReason(reason) };
  }).sort((a, b) => a.shard.localeCompare(b.shard));
}

/**
 * Processor of run jobs (the flow parents): runs once every shard has
 * completed or finally failed, writes the manifest (run.json last, as
 * `ortq run` does) and closes the run record. Light work, so it runs in the
 * worker process itself, not in a sandbox.
 */
export function runFinalizer(store: QueuedRunStore, logger: Logger) {
  return async (job: Job<RunJobData>): Promise<RunJobResult> => {
    const { runId, runDir } = job.data;
    const log = logger.child({ runId, model: job.data.model });
    const rec = await store.get(runId);
    if (rec?.status === 'cancelled') {
      log.info('run was cancelled; not finalized');
      return { runId, status: 'cancelled' };
    }
    const plan = await readPlan(runDir);
    const failures = await failedShards(job);
    const manifest = await finalizeRun(plan, {
      mode: 'queue',
      startedAt: rec?.startedAt ?? rec?.enqueuedAt ?? plan.createdAt,
      failures,
    });
    await store.finish(runId, manifest.status, manifest.failures ?? []);
    if (manifest.status === 'completed') {
      log.info({ rows: manifest.rows, durationMs: manifest.durationMs, rowsPerSecond: manifest.rowsPerSecond }, 'run completed');
    } else {
      log.warn({ failures: manifest.failures }, 'run failed');
    }
    return { runId, status: manifest.status, rows: manifest.rows, failures: manifest.failures };
  };
}
