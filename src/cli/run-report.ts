import { join } from 'node:path';
import { OrtqError } from '../errors.js';
import { loadKind } from '../kinds/registry.js';
import type { AnyJobKind, RunManifestBase, RunPlanBase } from '../kinds/types.js';
import { followRun } from '../queue/follow.js';
import type { QueueClient } from '../queue/queue-client.js';
import type { QueuedRun } from '../queue/queued-runs.js';
import { runLayout } from '../runs/layout.js';
import { readRunManifest } from '../runs/store.js';
import { printJson } from './output.js';
import { runProgressBar } from './progress.js';
import { logFollowNotice } from './wait-options.js';

/**
 * The summary `ortq run --json` and `ortq enqueue --json` print: the run
 * core's fields, then what the run's kind adds (a train run's candidate,
 * verdict, reasons, metrics, promotion), the same locally and queued.
 */
export function runSummary(m: RunManifestBase, runDir: string, reused: boolean, kind?: AnyJobKind): Record<string, unknown> {
  return {
    runId: m.runId,
    kind: m.kind,
    status: m.status,
    reused,
    job: m.job.name,
    ...(m.model ? { model: { tag: m.model.tag, requested: m.model.requested, digest: m.model.digest } } : {}),
    rows: m.rows,
    outputs: m.outputs.map((o) => join(runDir, o.path)),
    runDir,
    manifest: runLayout.manifestFile(runDir),
    durationMs: m.durationMs,
    ...('rowsPerSecond' in m ? { rowsPerSecond: m.rowsPerSecond } : {}),
    ...(kind?.summaryFields?.(m) ?? {}),
  };
}

/**
 * About a finished run: `run <id> completed: <the kind's summary line>`, the
 * kind's detail lines indented under it, and where its results are.
 */
export function runDoneText(m: RunManifestBase, runDir: string, verb: string, kind: AnyJobKind): string {
  const details = (kind.details?.(m) ?? []).map((l) => `  ${l}\n`).join('');
  return `run ${m.runId} ${verb}: ${kind.summary(m).text}\n${details}results: ${runDir}\n`;
}

/** The `--json` summary of a run that has not finished: the shape of `ortq run --json`, rows still null. */
export function pendingSummary(plan: RunPlanBase, rec: QueuedRun | null, outcome: string): Record<string, unknown> {
  const home = runLayout.homeOf(plan.runDir, plan.runId);
  return {
    runId: plan.runId,
    status: rec?.status ?? 'queued',
    reused: outcome !== 'enqueued',
    job: plan.job.name,
    ...(plan.model ? { model: { tag: plan.model.tag, requested: plan.model.requested, digest: plan.model.digest } } : {}),
    rows: null,
    outputs: [],
    runDir: home,
    manifest: runLayout.manifestFile(home),
    shards: rec?.shards ?? null,
    outcome,
    ...(rec?.failures.length ? { failures: rec.failures } : {}),
  };
}

/**
 * `--require-blessed`: a finished run of a kind that trains models whose
 * candidate is not blessed (rejected, pending approval) sets exit status 1,
 * for scripts; the summary is printed all the same. Runs of other kinds pass.
 */
export function requireBlessed(m: RunManifestBase, kind: AnyJobKind): void {
  const verdict = kind.outcome?.(m)?.verdict;
  if (verdict === undefined || verdict === 'blessed') return;
  process.stderr.write(`verdict is ${verdict}, not blessed (--require-blessed)\n`);
  process.exitCode = 1;
}

/**
 * Waits for a queued run, then prints its summary and returns its manifest; a
 * failed or cancelled run ends in an error (exit status).
 */
export async function waitAndReport(qc: QueueClient, plan: RunPlanBase, flags: { json?: boolean; progress?: boolean; timeoutMs?: number }, outcome: string): Promise<{ manifest: RunManifestBase; kind: AnyJobKind }> {
  const bar = runProgressBar(flags.progress !== false && !flags.json);
  let rec: QueuedRun;
  try {
    rec = await followRun(qc, plan.runId, { onUpdate: (p) => bar.update(p), onNotice: logFollowNotice(plan.runId), timeoutMs: flags.timeoutMs });
  } finally {
    bar.stop();
  }
  // a --force rebuild was swapped into the run's own directory by the finalizer
  const home = runLayout.homeOf(plan.runDir, plan.runId);
  const manifest = await readRunManifest(home);
  if (rec.status === 'completed' && manifest) {
    const kind = await loadKind(manifest.kind);
    if (flags.json) printJson({ ...runSummary(manifest, home, outcome !== 'enqueued', kind), outcome });
    else process.stdout.write(runDoneText(manifest, home, 'completed', kind));
    return { manifest, kind };
  }
  if (flags.json) printJson(pendingSummary(plan, rec, outcome));
  if (rec.status === 'cancelled') throw new OrtqError('ORTQ_RUN_CANCELLED', `run ${plan.runId} was cancelled`);
  const list = rec.failures.map((f) => `step ${f.step}: ${f.code}: ${f.message}`).join('; ');
  throw new OrtqError('ORTQ_RUN_FAILED', `run ${plan.runId} failed (${rec.failures.length} step(s)): ${list} — fix the cause, then "ortq runs retry ${plan.runId}"`, { failures: rec.failures });
}
