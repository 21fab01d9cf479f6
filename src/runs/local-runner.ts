import { rm } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Logger } from 'pino';
import type { OrtqConfig } from '../config.js';
import { OrtqError, toOrtqError } from '../errors.js';
import type { AnyJobKind, JobSpecBase, RunManifestBase, RunPlanBase, StepPlan } from '../kinds/types.js';
import type { ModelRepository } from '../repo/model-repository.js';
import { finalizeRun, recoverRunDir } from './finalize.js';
import { runLayout } from './layout.js';
import { RunLedger } from './ledger.js';
import { RunLock } from './lock.js';
import { runStepOnce } from './steps.js';
import { inspectRun, unfinishDamaged } from './resume.js';
import { readLatestPointer, readReceipts, readRunManifest, removeStaleTemps, writeLatestPointer, writePlan } from './store.js';

export interface LocalRunOptions {
  config: Readonly<OrtqConfig>;
  repo: ModelRepository;
  shardRows?: number;
  /** recompute: the new run is built beside the old one and replaces it only once verified */
  force?: boolean;
  logger?: Logger;
  ledger?: RunLedger;
  /** how long to wait for another process running the same run @defaultValue 0: ORTQ_RUN_LOCKED at once */
  lockWaitMs?: number;
  /** called after each batch with rows done so far and the total when known */
  onProgress?: (rowsDone: number, totalRows: number | null) => void;
  /** called before each step that runs (not before one already done), e.g. to print a sequence kind's steps */
  onStep?: (step: StepPlan) => void | Promise<void>;
  /** told about problems that were repaired, e.g. ORTQ_RUN_DAMAGED for a finished run with a part missing */
  onWarning?: (err: OrtqError) => void;
}

export interface LocalRunResult<P extends RunPlanBase = RunPlanBase, M extends RunManifestBase = RunManifestBase> {
  plan: P;
  manifest: M;
  /** the finished run was found intact and returned without work */
  reused: boolean;
  /** steps that were redone because their files were missing or changed */
  repaired: string[];
}

/**
 * Runs a job of any kind in this process, no Redis: gather and plan, take
 * the run's lock, run every step without a valid receipt in order, finalize
 * with verification. A finished run is checked (file sizes) and returned
 * as it is; damaged steps are reported (ORTQ_RUN_DAMAGED) and redone; an
 * interrupted run resumes from its committed steps. `force` builds a new run
 * beside the old one and swaps it in only once it is verified.
 */
export async function runJobLocally<P extends RunPlanBase, M extends RunManifestBase>(kind: AnyJobKind, spec: JobSpecBase, opts: LocalRunOptions): Promise<LocalRunResult<P, M>> {
  const ctx = { config: opts.config, repo: opts.repo, logger: opts.logger };
  const ledger = opts.ledger ?? new RunLedger();
  const outputRoot = kind.outputRoot(spec);
  const facts = await kind.gather(spec, { ...ctx, stepsHere: true });
  let plan = kind.plan(spec, facts, { shardRows: opts.shardRows, runDirFor: (id: string) => runLayout.runDir(outputRoot, id) }) as P;
  const home = plan.runDir;
  const lock = await RunLock.acquire(outputRoot, plan.runId, { waitMs: opts.lockWaitMs ?? 0 });
  const model = plan.model?.tag ?? kind.recordModel?.(plan);
  const log = opts.logger?.child({ runId: plan.runId, ...(model ? { model } : {}) });
  try {
    const keepsAttempts = kind.effectsOutsideRun === true;
    const attempt = await recoverRunDir(outputRoot, plan.runId, { keepAttempt: keepsAttempts });
    const existing = await readRunManifest<M>(home);
    const repaired: string[] = [];
    if (opts.force && existing) {
      // beside the old run: until the new one is verified, the old one stays in place and listed
      if (attempt) {
        plan = (await inspectRun<P, M>(kind, { ...plan, runDir: attempt })).plan;
        log?.info({ attempt: basename(attempt) }, 'resuming the unfinished --force attempt of this run');
      } else {
        plan = { ...plan, runDir: runLayout.stagingDir(outputRoot, plan.runId) };
      }
    } else if (opts.force && !keepsAttempts) {
      await rm(home, { recursive: true, force: true });
    } else {
      // (--force on an unfinished run of a kind that acts outside its directory resumes it too)
      const state = await inspectRun<P, M>(kind, plan);
      plan = state.plan;
      if (state.intact && existing && !opts.force) {
        if ((await readLatestPointer(outputRoot)) === null) await writeLatestPointer(outputRoot, existing);
        await ledger.recordManifest(existing, home, { model: kind.recordModel?.(plan) });
        return { plan, manifest: existing, reused: true, repaired };
      }
      if (state.damaged.size > 0) {
        const warning = await unfinishDamaged(plan.runId, home, state.damaged);
        log?.warn({ code: warning.code, steps: [...state.damaged.keys()], files: warning.details?.files }, warning.message);
        opts.onWarning?.(warning);
        repaired.push(...state.damaged.keys());
      }
    }
    const manifest = await runSteps<P, M>(kind, plan, { ...opts, ledger, log, existing, home });
    // a --force rebuild has been swapped into the run's own directory
    return { plan: { ...plan, runDir: home }, manifest, reused: false, repaired };
  } finally {
    await lock.release();
  }
}

async function runSteps<P extends RunPlanBase, M extends RunManifestBase>(kind: AnyJobKind, plan: P, o: LocalRunOptions & {
  ledger: RunLedger; log?: Logger; existing: M | null; home: string;
}): Promise<M> {
  const startedAt = new Date().toISOString();
  const staged = plan.runDir !== o.home;
  await writePlan(plan);
  await removeStaleTemps(plan.runDir);
  if (!staged) {
    await o.ledger.recordStart({ runId: plan.runId, kind: kind.name, job: plan.job.name, runDir: plan.runDir, model: plan.model?.tag ?? kind.recordModel?.(plan), digest: plan.model?.digest, mode: 'local' });
  }
  const steps = kind.steps(plan);
  o.log?.info({ steps: steps.length, rows: plan.totalRows }, 'run started');
  const receipts = await readReceipts(plan.runDir);
  let rowsBefore = [...receipts.values()].reduce((s, r) => s + r.rows.read, 0);
  o.onProgress?.(rowsBefore, plan.totalRows);
  // steps whose files this process writes (and hashes as it writes) in this run
  const ranHere = new Set<string>();
  for (const step of steps) {
    try {
      if (!receipts.has(step.id)) {
        await o.onStep?.(step);
        // a sequence kind's steps are few and long (train → … → promote): each one is worth a line
        if (kind.order === 'sequence') o.log?.info({ step: step.id }, 'step started');
      }
      const { receipt, ran } = await runStepOnce(kind, plan, step, {
        // a parallel kind's steps (predict shards) name their run in their own log lines
        config: o.config, repo: o.repo, logger: kind.order === 'sequence' ? o.log : o.logger,
        onProgress: (rows) => o.onProgress?.(rowsBefore + rows, plan.totalRows),
      });
      if (ran) {
        rowsBefore += receipt.rows.read;
        ranHere.add(step.id);
      }
    } catch (err) {
      const e = toOrtqError(err);
      if (staged) {
        // a failed --force leaves the old run as it was, and listed as it was
        await dropAttempt(kind, plan.runDir);
        if (o.existing) await o.ledger.recordManifest(o.existing, o.home, { model: kind.recordModel?.(plan) });
      } else {
        await finalizeRun(kind, plan, { mode: 'local', startedAt, failures: [{ step: step.id, code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) }], ledger: o.ledger });
      }
      throw e;
    }
  }
  const manifest = await finalizeRun<M>(kind, plan, { mode: 'local', startedAt, ledger: o.ledger, hashedHere: ranHere });
  if (manifest.status !== 'completed') {
    if (staged) {
      await dropAttempt(kind, plan.runDir);
      if (o.existing) await o.ledger.recordManifest(o.existing, o.home, { model: kind.recordModel?.(plan) });
    }
    const f = manifest.failures?.[0];
    throw new OrtqError(f?.code === 'ORTQ_RUN_DAMAGED' ? 'ORTQ_RUN_DAMAGED' : 'ORTQ_RUN_FAILED',
      `run ${plan.runId} failed: ${f ? `step ${f.step}: ${f.code}: ${f.message}` : 'a step did not finish'}`, { runId: plan.runId, failures: manifest.failures ?? [] });
  }
  o.log?.info({ rows: manifest.rows, durationMs: manifest.durationMs }, 'run finished');
  return manifest;
}

/** A failed --force attempt goes, unless its kind acts outside the run directory: then the next --force resumes it. */
async function dropAttempt(kind: AnyJobKind, dir: string): Promise<void> {
  if (kind.effectsOutsideRun !== true) await rm(dir, { recursive: true, force: true });
}
