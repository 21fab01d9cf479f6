import type { FlowJob } from 'bullmq';
import type { KindEntry } from '../kinds/registry.js';
import type { RunPlanBase, StepPlan } from '../kinds/types.js';
import { RUN_JOB, RUNS_QUEUE, STEP_JOB, assertJobId, stepJobId } from './queues.js';

/** Data of one step job. Small on purpose: the plan itself is read from `runDir/_plan.json`. */
export interface StepJobData {
  kind: string;
  runId: string;
  runDir: string;
  stepIndex: number;
  stepId: string;
  rows: number | null;
  /** pinned model tag (a train run: the model it trains) and digest, for logs */
  model: string;
  digest: string;
  /**
   * the run's exclusive resource (see JobKind.exclusive), held in Redis from
   * its first step until its last (`last`) ends or a step fails
   */
  guard?: { key: string; last: boolean };
}

/** Data of the run job, the flow parent that finalizes the run. */
export interface RunJobData {
  kind: string;
  runId: string;
  runDir: string;
  jobName: string;
  steps: number;
  totalRows: number | null;
  model: string;
  digest: string;
  /** the run's exclusive resource, released by the finalizer whatever happened */
  guard?: string;
}

export interface FlowOptions {
  /** step indexes to (re)run; all steps when absent */
  stepIndexes?: number[];
  /** tries per step for transient failures @defaultValue 5 */
  attempts: number;
  /** first retry delay, doubled each time @defaultValue 2000 */
  backoffMs: number;
  /** the kind's exclusive resource for this run (e.g. `train:iris`), or none */
  guard?: string | null;
  /** the model the run record names (JobKind.recordModel) @defaultValue the pinned model's tag */
  model?: string;
}

// finished jobs are trimmed by age and count; dedup never relies on them (see queued-runs.ts)
const KEEP_COMPLETED = { age: 24 * 3600, count: 10_000 };
const KEEP_FAILED = { age: 7 * 24 * 3600, count: 10_000 };

/**
 * The BullMQ flow of a run: the run job (id = runId) on the runs queue, with
 * the steps on the kind's queue (id `<runId>-<stepId>`). Parallel kinds
 * (predict shards) have one child per step; sequence kinds (train → evaluate
 * → …) have a chain, the first step deepest, so each step starts only after
 * the one before completed, and a failure fails the rest of the chain. A
 * failed step is ignored by the run job rather than blocking it, so the run
 * job always runs and records which steps failed. Pure: no Redis, no disk.
 */
export function buildRunFlow(kind: Pick<KindEntry, 'name' | 'queue' | 'order'>, plan: RunPlanBase, steps: readonly StepPlan[], opts: FlowOptions): FlowJob {
  const wanted = opts.stepIndexes ? new Set(opts.stepIndexes) : null;
  const todo = steps.filter((s) => !wanted || wanted.has(s.index));
  const model = opts.model ?? plan.model?.tag ?? '';
  const runData: RunJobData = {
    kind: kind.name,
    runId: plan.runId,
    runDir: plan.runDir,
    jobName: plan.job.name,
    steps: steps.length,
    totalRows: plan.totalRows,
    model,
    digest: plan.model?.digest ?? '',
    ...(opts.guard ? { guard: opts.guard } : {}),
  };
  const stepJob = (s: StepPlan, top: boolean): FlowJob => {
    const data: StepJobData = {
      kind: kind.name, runId: plan.runId, runDir: plan.runDir, stepIndex: s.index, stepId: s.id, rows: s.rows,
      model, digest: plan.model?.digest ?? '',
      ...(opts.guard ? { guard: { key: opts.guard, last: top } } : {}),
    };
    return {
      name: STEP_JOB,
      queueName: kind.queue,
      data,
      opts: {
        jobId: stepJobId(plan.runId, s.id),
        attempts: opts.attempts,
        backoff: { type: 'exponential', delay: opts.backoffMs },
        ...(top ? { ignoreDependencyOnFailure: true } : { failParentOnFailure: true }),
        removeOnComplete: KEEP_COMPLETED,
        removeOnFail: KEEP_FAILED,
      },
    };
  };
  let children: FlowJob[];
  if (kind.order === 'sequence' && todo.length > 0) {
    // a chain: the last step is the run job's child, the first step the deepest
    let chain: FlowJob | null = null;
    todo.forEach((s, i) => {
      const j = stepJob(s, i === todo.length - 1);
      if (chain) j.children = [chain];
      chain = j;
    });
    children = [chain!];
  } else {
    children = todo.map((s) => stepJob(s, true));
  }
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
    children,
  };
}
