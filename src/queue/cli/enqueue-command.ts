import { join } from 'node:path';
import type { EnqueueFlags } from '../../cli/commands/enqueue.js';
import { printJson } from '../../cli/output.js';
import { runSummary } from '../../cli/run-job.js';
import { loadConfig, type OrtqConfig } from '../../config.js';
import { OrtqError } from '../../errors.js';
import { rootLogger } from '../../logger.js';
import { loadJobFile } from '../../predict/job-spec.js';
import { MANIFEST_FILE, readRunManifest } from '../../predict/run-store.js';
import type { RunPlan } from '../../predict/types.js';
import { ModelRepository } from '../../repo/model-repository.js';
import { enqueueJob } from '../enqueue.js';
import { followRun } from '../follow.js';
import { QueueClient } from '../queue-client.js';
import type { QueuedRun } from '../queued-runs.js';
import { runProgressBar } from './progress-bar.js';

/** The `--json` summary of a run that has not finished: the shape of `ortq run --json`, rows still null. */
function pendingSummary(plan: RunPlan, rec: QueuedRun | null, outcome: string): Record<string, unknown> {
  return {
    runId: plan.runId,
    status: rec?.status ?? 'queued',
    reused: outcome !== 'enqueued',
    job: plan.job.name,
    model: { tag: plan.model.tag, requested: plan.model.requested, digest: plan.model.digest },
    rows: null,
    outputs: [],
    runDir: plan.runDir,
    manifest: join(plan.runDir, MANIFEST_FILE),
    shards: plan.shards.length,
    outcome,
    ...(rec?.failures.length ? { failures: rec.failures } : {}),
  };
}

/** Waits for a queued run, then prints its summary; a failed or cancelled run ends in an error (exit status). */
export async function waitAndReport(qc: QueueClient, plan: RunPlan, flags: { json?: boolean; progress?: boolean }, outcome: string): Promise<void> {
  const bar = runProgressBar(flags.progress !== false && !flags.json);
  let rec: QueuedRun;
  try {
    rec = await followRun(qc, plan.runId, { onUpdate: (p) => bar.update(p) });
  } finally {
    bar.stop();
  }
  const manifest = await readRunManifest(plan.runDir);
  if (rec.status === 'completed' && manifest) {
    if (flags.json) printJson({ ...runSummary(manifest, plan.runDir, outcome !== 'enqueued'), outcome });
    else process.stdout.write(`run ${plan.runId} completed: ${manifest.rows.written} rows written (model ${manifest.model.tag}, ${manifest.rowsPerSecond} rows/s)\nresults: ${plan.runDir}\n`);
    return;
  }
  if (flags.json) printJson(pendingSummary(plan, rec, outcome));
  if (rec.status === 'cancelled') throw new OrtqError('ORTQ_RUN_CANCELLED', `run ${plan.runId} was cancelled`);
  const list = rec.failures.map((f) => `shard ${f.shard}: ${f.code}: ${f.message}`).join('; ');
  throw new OrtqError('ORTQ_RUN_FAILED', `run ${plan.runId} failed (${rec.failures.length} shard(s)): ${list} — fix the cause, then "ortq runs retry ${plan.runId}"`, { failures: rec.failures });
}

export async function enqueueCommand(jobFile: string, flags: EnqueueFlags): Promise<void> {
  const config: Readonly<OrtqConfig> = loadConfig();
  const job = await loadJobFile(jobFile, flags.set);
  const shardRows = flags.shardRows ? Number(flags.shardRows) : config.queue.shardRows;
  if (!Number.isInteger(shardRows) || shardRows <= 0) throw new OrtqError('ORTQ_USAGE', `--shard-rows expects a positive integer, got "${flags.shardRows}"`);
  const repo = ModelRepository.fromConfig(config, flags.repo);
  const qc = await QueueClient.open(config);
  try {
    const res = await enqueueJob(qc, job, { config, repo, shardRows, force: flags.force, logger: rootLogger() });
    const { plan } = res;
    if (res.outcome === 'existing' && res.manifest) {
      if (flags.json) printJson({ ...runSummary(res.manifest, plan.runDir, true), outcome: res.outcome });
      else process.stdout.write(`run ${plan.runId} already done: ${res.manifest.rows.written} rows (model ${plan.model.tag})\nresults: ${plan.runDir}\n`);
      return;
    }
    if (flags.wait) {
      await waitAndReport(qc, plan, flags, res.outcome);
      return;
    }
    if (flags.json) printJson(pendingSummary(plan, res.record, res.outcome));
    else if (res.outcome === 'enqueued') process.stdout.write(`run ${plan.runId} enqueued: ${res.shardsEnqueued} shard(s) (model ${plan.model.tag} ${plan.model.digest.slice(0, 19)})\nfollow it with "ortq status"; results will be in ${plan.runDir}\n`);
    else process.stdout.write(`run ${plan.runId} is already ${res.record?.status ?? 'queued'}; not enqueued again\n`);
  } finally {
    await qc.close();
  }
}
