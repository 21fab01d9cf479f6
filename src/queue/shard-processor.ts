/**
 * The sandboxed shard processor: BullMQ runs this file in a child process, so
 * onnxruntime never blocks the thread that renews job locks. One child serves
 * many shards (sessions stay cached per model digest) until it asks to be
 * recycled: after `ORTQ_RECYCLE_AFTER_SHARDS` shards or above
 * `ORTQ_RECYCLE_ABOVE_RSS_MB` of RSS (onnxruntime leaks when sessions are
 * recreated, so a fresh process is the cure).
 */
import { UnrecoverableError, type SandboxedJob } from 'bullmq';
import { loadConfig } from '../config.js';
import { toOrtqError } from '../errors.js';
import { createLogger } from '../logger.js';
import { readPlan } from '../predict/run-store.js';
import { runShard } from '../predict/shard-runner.js';
import type { RunPlan, ShardReceipt } from '../predict/types.js';
import { ModelRepository } from '../repo/model-repository.js';
import type { ShardJobData } from './run-flow.js';

export interface ShardJobResult {
  receipt: ShardReceipt;
  /** set when this child wants to be replaced once the job is released */
  retire: boolean;
  pid: number;
  rssMb: number;
}

// When the worker process dies (SIGKILL), its children must not outlive it:
// the shard's lock expires and another worker takes it up. This file is the
// entry point of BullMQ's sandboxed child process (BullMQ's own child wrapper
// ends it the same way), so ending it here is the child's own exit point, as
// src/cli/main.ts is the CLI's; a throw from an event handler would only reach
// BullMQ's uncaughtException handler, which reports to the dead parent first.
process.on('disconnect', () => process.exit(1));

const config = loadConfig();
const logger = createLogger({ name: 'ortq-shard' });
const repo = ModelRepository.fromConfig(config);
// the worker passes its settings down as ORTQ_RECYCLE_* in the child's environment, read by loadConfig
const recycleAfter = config.queue.recycleAfterShards;
const recycleAboveMb = config.queue.recycleAboveRssMb;
const plans = new Map<string, RunPlan>();
let shardsDone = 0;

async function planFor(data: ShardJobData): Promise<RunPlan> {
  let plan = plans.get(data.runId);
  if (!plan) {
    plan = await readPlan(data.runDir);
    plans.clear(); // one run at a time is the common case; do not grow without bound
    plans.set(data.runId, plan);
  }
  return plan;
}

export default async function processShard(job: SandboxedJob<ShardJobData>): Promise<ShardJobResult> {
  const data = job.data;
  const log = logger.child({ runId: data.runId, shardId: data.shardId, model: data.model, jobId: job.id, attempt: job.attemptsMade + 1 });
  // the first report comes after 500 ms too: a short shard reports nothing but its completion
  let lastReport = Date.now();
  try {
    const plan = await planFor(data);
    const receipt = await runShard(plan, data.shardIndex, {
      repo,
      inference: config.inference,
      logger: log,
      onProgress: (rows) => {
        const now = Date.now();
        if (now - lastReport < 500) return;
        lastReport = now;
        // progress is advisory: a lost update must not fail the shard
        job.updateProgress({ rows }).catch(() => undefined);
      },
    });
    shardsDone++;
    const rssMb = Math.round(process.memoryUsage.rss() / 2 ** 20);
    const retire = shardsDone >= recycleAfter || rssMb > recycleAboveMb;
    if (retire) log.info({ shardsDone, rssMb }, 'shard process retiring');
    return { receipt, retire, pid: process.pid, rssMb };
  } catch (err) {
    const e = toOrtqError(err);
    log.warn({ code: e.code, err: e.message, retryable: e.retryable }, 'shard error');
    // the job's failedReason carries "CODE: message"; permanent errors skip retries
    const reason = `${e.code}: ${e.message}`;
    throw e.retryable ? new Error(reason) : new UnrecoverableError(reason);
  }
}
