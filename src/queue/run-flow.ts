import type { FlowJob } from 'bullmq';
import type { RunPlan } from '../predict/types.js';
import { JOB_KINDS, RUN_JOB, RUNS_QUEUE, SHARD_JOB, assertJobId, shardJobId } from './queues.js';

/** Data of one shard job. Small on purpose: the plan itself is read from `runDir/_plan.json`. */
export interface ShardJobData {
  kind: 'predict';
  runId: string;
  runDir: string;
  shardIndex: number;
  shardId: string;
  rows: number | null;
  /** resolved model tag and digest, for logs */
  model: string;
  digest: string;
}

/** Data of the run job, the flow parent that finalizes the run. */
export interface RunJobData {
  kind: 'predict';
  runId: string;
  runDir: string;
  jobName: string;
  shards: number;
  totalRows: number | null;
  model: string;
  digest: string;
}

export interface FlowOptions {
  /** shard indexes to (re)run; all shards when absent */
  shardIndexes?: number[];
  /** tries per shard for transient failures @defaultValue 5 */
  attempts: number;
  /** first retry delay, doubled each time @defaultValue 2000 */
  backoffMs: number;
}

// finished jobs are trimmed by age and count; dedup never relies on them (see queued-runs.ts)
const KEEP_COMPLETED = { age: 24 * 3600, count: 10_000 };
const KEEP_FAILED = { age: 7 * 24 * 3600, count: 10_000 };

/**
 * The BullMQ flow of a run: the run job (id = runId) with one child per shard
 * (id `<runId>-<shardId>`). A failed shard is ignored by the parent rather
 * than blocking it, so the run job always runs and records which shards failed.
 * Pure: no Redis, no disk.
 */
export function buildRunFlow(plan: RunPlan, opts: FlowOptions): FlowJob {
  const kind = JOB_KINDS.predict;
  const wanted = opts.shardIndexes ? new Set(opts.shardIndexes) : null;
  const shards = plan.shards.filter((s) => !wanted || wanted.has(s.index));
  const runData: RunJobData = {
    kind: 'predict',
    runId: plan.runId,
    runDir: plan.runDir,
    jobName: plan.job.name,
    shards: plan.shards.length,
    totalRows: plan.totalRows,
    model: plan.model.tag,
    digest: plan.model.digest,
  };
  return {
    name: RUN_JOB,
    queueName: RUNS_QUEUE,
    data: runData,
    opts: {
      jobId: assertJobId(plan.runId),
      attempts: opts.attempts,
      backoff: { type: 'exponential', delay: opts.backoffMs },
      removeOnComplete: KEEP_COMPLETED,
      removeOnFail: KEEP_FAILED,
    },
    children: shards.map((s) => {
      const data: ShardJobData = {
        kind: 'predict',
        runId: plan.runId,
        runDir: plan.runDir,
        shardIndex: s.index,
        shardId: s.id,
        rows: s.rows,
        model: plan.model.tag,
        digest: plan.model.digest,
      };
      return {
        name: SHARD_JOB,
        queueName: kind.queue,
        data,
        opts: {
          jobId: shardJobId(plan.runId, s.id),
          attempts: opts.attempts,
          backoff: { type: 'exponential', delay: opts.backoffMs },
          ignoreDependencyOnFailure: true,
          removeOnComplete: KEEP_COMPLETED,
          removeOnFail: KEEP_FAILED,
        },
      };
    }),
  };
}

/** `ORTQ_INPUT_CORRUPT: file x …` → code and message; anything else is ORTQ_INTERNAL. */
export function parseFailedReason(reason: string | undefined | null): { code: string; message: string } {
  const m = /^(ORTQ_[A-Z_]+): ([\s\S]*)$/.exec(reason ?? '');
  return m ? { code: m[1], message: m[2] } : { code: 'ORTQ_INTERNAL', message: reason || 'unknown failure' };
}
