import { readdir, rename, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { Logger } from 'pino';
import type { OrtqConfig } from '../config.js';
import { toOrtqError } from '../errors.js';
import type { ModelRepository } from '../repo/model-repository.js';
import { finalizeRun } from './finalize.js';
import { writeRunRecord } from './run-ledger.js';
import { planRun } from './plan-run.js';
import { readRunManifest, readShardReceipts, writePlan } from './run-store.js';
import { runShard } from './shard-runner.js';
import type { PredictJob, RunManifest, RunPlan } from './types.js';

export interface LocalRunOptions {
  repo: ModelRepository;
  inference?: OrtqConfig['inference'];
  shardRows?: number;
  force?: boolean;
  logger?: Logger;
  /** called after each batch with rows done so far and the total when known */
  onProgress?: (rowsDone: number, totalRows: number | null) => void;
}

export interface LocalRunResult { plan: RunPlan; manifest: RunManifest; reused: boolean }

/** Removes temp files a killed process left behind (dot-prefixed `.tmp-` names). */
async function removeStaleTemps(dir: string): Promise<void> {
  let names: string[] = [];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  await Promise.all(names.filter((n) => n.startsWith('.') && n.includes('.tmp-')).map((n) => rm(join(dir, n), { force: true })));
}

/**
 * Runs a predict job in this process, no Redis: plan, score every shard in
 * order, finalize. An identical finished run is returned as it is (no work);
 * an interrupted one resumes from its committed shards; `force` recomputes.
 */
export async function runLocal(job: PredictJob, opts: LocalRunOptions): Promise<LocalRunResult> {
  // --force recomputes with a fresh plan; otherwise a stored one (an interrupted run) keeps its shards
  const plan = await planRun(job, { repo: opts.repo, shardRows: opts.shardRows, reuseStored: !opts.force });
  const existing = await readRunManifest(plan.runDir);
  if (existing && !opts.force) return { plan, manifest: existing, reused: true };
  if (opts.force) {
    // move the old run aside first so that nothing half-recomputed looks finished;
    // the dot name keeps a copy left by a kill right here from looking like a run
    const trash = join(dirname(plan.runDir), `.${basename(plan.runDir)}.old-${process.pid}-${Date.now()}`);
    await rename(plan.runDir, trash).catch(() => undefined);
    await rm(trash, { recursive: true, force: true });
  }
  const startedAt = new Date().toISOString();
  await writePlan(plan);
  // a kill can land while a part file or a shard receipt is being written
  await Promise.all([removeStaleTemps(plan.runDir), removeStaleTemps(join(plan.runDir, '_shards'))]);
  await writeRunRecord({
    runId: plan.runId, job: job.name, status: 'running', runDir: plan.runDir, model: plan.model.tag,
    digest: plan.model.digest, rows: 0, startedAt, mode: 'local', host: hostname(), pid: process.pid,
  });
  const log = opts.logger?.child({ runId: plan.runId, model: plan.model.tag });
  log?.info({ shards: plan.shards.length, rows: plan.totalRows }, 'run started');
  const done = await readShardReceipts(plan);
  let rowsBefore = [...done.values()].reduce((s, r) => s + r.rowsRead, 0);
  opts.onProgress?.(rowsBefore, plan.totalRows);
  for (const shard of plan.shards) {
    if (done.has(shard.id)) continue;
    try {
      const receipt = await runShard(plan, shard.index, {
        repo: opts.repo,
        inference: opts.inference,
        logger: opts.logger,
        onProgress: (rows) => opts.onProgress?.(rowsBefore + rows, plan.totalRows),
      });
      rowsBefore += receipt.rowsRead;
    } catch (err) {
      const e = toOrtqError(err);
      await finalizeRun(plan, { mode: 'local', startedAt, failures: [{ shard: shard.id, code: e.code, message: e.message }] });
      throw e;
    }
  }
  const manifest = await finalizeRun(plan, { mode: 'local', startedAt });
  log?.info({ rows: manifest.rows, durationMs: manifest.durationMs, rowsPerSecond: manifest.rowsPerSecond }, 'run finished');
  return { plan, manifest, reused: false };
}
