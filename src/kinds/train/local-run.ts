import { mkdir, rename, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { Logger } from 'pino';
import type { OrtqConfig } from '../../config.js';
import { toOrtqError } from '../../errors.js';
import { writeJsonAtomic } from '../../fs/atomic.js';
import { RunLedger } from '../../runs/ledger.js';
import type { ModelRepository } from '../../repo/model-repository.js';
import { onnxruntimeVersion } from '../../repo/onnx-runtime-check.js';
import { ortqVersion } from '../../version.js';
import { buildTrainManifest, trainSummaryLine, type TrainManifest, type TrainReceipts } from './manifest.js';
import { planTrainRun } from './plan-run.js';
import { FAILED_FILE, MANIFEST_FILE, PLAN_FILE, readJsonIfExists, readReceipt, STEP_ORDER, writeReceipt, type StepName } from './run-files.js';
import { acquireRunLock } from './run-lock.js';
import { runTrainStep } from './steps.js';
import type { BuiltinModules } from './trainers/builtin.js';
import type { TrainJob, TrainPlan } from './types.js';

export interface TrainRunOptions {
  repo: ModelRepository;
  inference?: OrtqConfig['inference'];
  force?: boolean;
  logger?: Logger;
  builtinModules?: BuiltinModules;
  runsRoot?: string;
  cwd?: string;
  onStep?: (step: StepName) => void | Promise<void>;
}

export interface TrainRunResult { plan: TrainPlan; manifest: TrainManifest; reused: boolean }

function record(plan: TrainPlan, status: 'running' | 'completed' | 'failed', extra: { startedAt: string; finishedAt?: string; candidate?: string; digest?: string; summary?: string }): Promise<void> {
  // the run ledger indexes runs of every kind, so `ortq runs list|show` finds train runs too
  return new RunLedger().record({
    runId: plan.runId, kind: 'train', job: plan.job.name, status, runDir: plan.runDir, model: extra.candidate ?? plan.job.model, digest: extra.digest ?? '',
    rows: 0, startedAt: extra.startedAt, ...(extra.finishedAt ? { finishedAt: extra.finishedAt } : {}), mode: 'local', host: hostname(), pid: process.pid,
    ...(extra.summary ? { summary: extra.summary } : {}),
  });
}

/**
 * Runs a train job in this process (no Redis): plan, then each step that has
 * no receipt yet, in order, then the manifest. An identical finished run is
 * returned as it is; a killed one resumes from its last receipt (and the
 * registration is idempotent per run attempt); `force` retrains from scratch.
 */
export async function runTrainLocal(job: TrainJob, opts: TrainRunOptions): Promise<TrainRunResult> {
  const plan = await planTrainRun(job, { repo: opts.repo, runsRoot: opts.runsRoot, reuseStored: !opts.force });
  const done = await readJsonIfExists<TrainManifest>(join(plan.runDir, MANIFEST_FILE));
  if (done && !opts.force) return { plan, manifest: done, reused: true };
  await mkdir(plan.runDir, { recursive: true });
  const release = await acquireRunLock(plan.runDir);
  const log = opts.logger?.child({ runId: plan.runId, model: job.model, kind: 'train' });
  try {
    if (opts.force) {
      // everything but the lock moves aside, so nothing half-recomputed looks finished
      const trash = join(dirname(plan.runDir), `.${basename(plan.runDir)}.old-${process.pid}-${Date.now()}`);
      await mkdir(trash, { recursive: true });
      const { readdir } = await import('node:fs/promises');
      for (const n of await readdir(plan.runDir)) if (n !== '.lock') await rename(join(plan.runDir, n), join(trash, n));
      await rm(trash, { recursive: true, force: true });
    }
    await writeJsonAtomic(join(plan.runDir, PLAN_FILE), plan);
    const startedAt = new Date().toISOString();
    await record(plan, 'running', { startedAt });
    const receipts: Record<string, unknown> = {};
    const ctx = {
      repo: opts.repo, inference: opts.inference, logger: log, builtinModules: opts.builtinModules, cwd: opts.cwd,
      receipt: async <T>(step: StepName): Promise<T> => (receipts[step] ?? (await readReceipt<T>(plan.runDir, step))) as T,
    };
    const failures: Array<{ step: string; code: string; message: string }> = [];
    for (const step of STEP_ORDER) {
      const have = await readReceipt(plan.runDir, step);
      if (have) {
        receipts[step] = have;
        continue;
      }
      await opts.onStep?.(step);
      log?.info({ step }, 'train step started');
      try {
        const r = await runTrainStep(plan, step, ctx);
        await writeReceipt(plan.runDir, step, r);
        receipts[step] = r;
      } catch (err) {
        const e = toOrtqError(err);
        failures.push({ step, code: e.code, message: e.message });
        const manifest = finalize(plan, receipts, startedAt, failures);
        await writeJsonAtomic(join(plan.runDir, FAILED_FILE), manifest);
        await record(plan, 'failed', { startedAt, finishedAt: manifest.finishedAt, summary: manifest.summary });
        log?.warn({ step, code: e.code }, 'train run failed');
        throw e;
      }
    }
    const manifest = finalize(plan, receipts, startedAt, failures);
    await writeJsonAtomic(join(plan.runDir, MANIFEST_FILE), manifest);
    await rm(join(plan.runDir, FAILED_FILE), { force: true });
    await record(plan, 'completed', { startedAt, finishedAt: manifest.finishedAt, candidate: manifest.candidate?.tag, digest: manifest.candidate?.digest, summary: manifest.summary });
    log?.info({ verdict: manifest.verdict, promoted: manifest.promoted, candidate: manifest.candidate?.tag }, 'train run finished');
    return { plan, manifest, reused: false };
  } finally {
    await release();
  }
}

function finalize(plan: TrainPlan, receipts: Record<string, unknown>, startedAt: string, failures: Array<{ step: string; code: string; message: string }>): TrainManifest {
  const m = buildTrainManifest(plan, receipts as TrainReceipts, {
    mode: 'local', startedAt, finishedAt: new Date(), failures,
    versions: { ortq: ortqVersion(), onnxruntime: onnxruntimeVersion(), node: process.version }, host: hostname(),
  });
  // the one line `runs list` and `ortq status` show, as the run core writes it for queued runs
  return { ...m, summary: trainSummaryLine(m) };
}
