import { join } from 'node:path';
import { OrtqError } from '../errors.js';
import { MANIFEST_FILE, readRunManifest } from '../predict/run-store.js';
import type { RunManifest, RunPlan } from '../predict/types.js';
import { followRun } from '../queue/follow.js';
import type { QueueClient } from '../queue/queue-client.js';
import type { QueuedRun } from '../queue/queued-runs.js';
import { printJson } from './output.js';
import { runProgressBar } from './progress.js';

/** The summary `ortq run --json` and `ortq enqueue --json` print. */
export function runSummary(m: RunManifest, runDir: string, reused: boolean): Record<string, unknown> {
  return {
    runId: m.runId,
    status: m.status,
    reused,
    job: m.job.name,
    model: { tag: m.model.tag, requested: m.model.requested, digest: m.model.digest },
    rows: m.rows,
    outputs: m.outputs.map((o) => join(runDir, o.path)),
    runDir,
    manifest: join(runDir, MANIFEST_FILE),
    durationMs: m.durationMs,
    rowsPerSecond: m.rowsPerSecond,
  };
}

/** The `--json` summary of a run that has not finished: the shape of `ortq run --json`, rows still null. */
export function pendingSummary(plan: RunPlan, rec: QueuedRun | null, outcome: string): Record<string, unknown> {
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
