import { readdir, rename, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { writeJsonAtomic } from '../fs/atomic.js';
import type { AnyJobKind, RunManifestBase, RunMode, RunPlanBase, StepFailure, StepPlan } from '../kinds/types.js';
import { onnxruntimeVersion } from '../repo/onnx-runtime-check.js';
import { ortqVersion } from '../version.js';
import { RUN_FORMAT_VERSION } from './format.js';
import { runLayout } from './layout.js';
import type { RunLedger } from './ledger.js';
import { readReceipts, readRunManifest, removeReceipt, writeLatestPointer } from './store.js';
import type { VerifiedFiles } from './verified-files.js';
import { damagedSteps, describeProblems } from './verify.js';

export interface FinalizeOptions {
  mode: RunMode;
  startedAt: string;
  failures?: StepFailure[];
  ledger: RunLedger;
  /**
   * steps this process ran in this run: their files were hashed as they were
   * written, moments ago, so they are not read back and hashed again (size,
   * existence and rows are still checked); every other step's files are
   */
  hashedHere?: ReadonlySet<string>;
  /**
   * files whose writer (a queue worker's step process) vouched for their
   * digest and their identity after its commit: not read again while each is
   * that file (device, inode, size, mtime, ctime)
   */
  verified?: VerifiedFiles;
}

/**
 * Finishes a run, verifying before `run.json` exists: every file named in
 * the receipts must be there with its recorded size and digest (read back
 * unless this process wrote it in this run, `hashedHere`, or its writer
 * vouched for it and it is still that file, `verified`), and each
 * step's rows must add up (read minus skipped). A step that fails the check
 * loses its receipt (a retry redoes it) and the run fails with
 * ORTQ_RUN_DAMAGED. A complete run gets its manifest, is swapped into place
 * when it was built beside an older one (--force), and the latest pointer
 * moves to it; a failed run gets `_failed.json` and never `run.json`.
 * The ledger records the outcome.
 */
export async function finalizeRun<M extends RunManifestBase>(kind: AnyJobKind, plan: RunPlanBase, opts: FinalizeOptions): Promise<M> {
  const receipts = await readReceipts(plan.runDir);
  const steps: readonly StepPlan[] = kind.steps(plan);
  const failures = [...(opts.failures ?? [])];
  const damaged = await damagedSteps(plan.runDir, steps.map((s) => s.id), receipts, { hash: true, hashedHere: opts.hashedHere, verified: opts.verified });
  for (const [step, problems] of damaged) {
    await removeReceipt(plan.runDir, step);
    receipts.delete(step);
    failures.push({ step, code: 'ORTQ_RUN_DAMAGED', message: describeProblems(problems), details: { problems } });
  }
  const manifest = { format: RUN_FORMAT_VERSION, ...kind.finalize(plan, receipts, {
    mode: opts.mode,
    startedAt: opts.startedAt,
    finishedAt: new Date(),
    failures,
    versions: { ortq: ortqVersion(), onnxruntime: onnxruntimeVersion(), node: process.version },
    host: hostname(),
  }) } as M;
  manifest.summary ??= summaryOf(kind, manifest);
  const home = runLayout.homeOf(plan.runDir, plan.runId);
  if (manifest.status === 'completed') {
    await rm(runLayout.failedFile(plan.runDir), { force: true });
    if (plan.runDir !== home) await writeJsonAtomic(runLayout.planFile(plan.runDir), { ...plan, runDir: home });
    await writeJsonAtomic(runLayout.manifestFile(plan.runDir), manifest);
    if (plan.runDir !== home) await swapIntoPlace(plan.runDir, home);
    await writeLatestPointer(runLayout.outputRootOf(home), manifest);
  } else {
    await writeJsonAtomic(runLayout.failedFile(plan.runDir), manifest);
  }
  await opts.ledger.recordManifest(manifest, home, { model: kind.recordModel?.(plan) });
  return manifest;
}

/** The kind's one line about the run; a kind that cannot say it (a manifest with a part missing) gives none. */
function summaryOf(kind: AnyJobKind, m: RunManifestBase): string | undefined {
  try {
    return kind.summary(m).text;
  } catch {
    return undefined;
  }
}

/**
 * Replaces `home` by the verified run in `staging`: the old run moves to a
 * hidden trash name, the new one takes its name, the trash is removed. A kill
 * in between is repaired by recoverRunDir under the next holder of the lock.
 */
async function swapIntoPlace(staging: string, home: string): Promise<void> {
  const runId = home.slice(home.lastIndexOf('run=') + 4);
  const trash = runLayout.trashDir(runLayout.outputRootOf(home), runId);
  const moved = await rename(home, trash).then(() => true, (err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return false;
    throw err;
  });
  await rename(staging, home);
  if (moved) await rm(trash, { recursive: true, force: true });
}

/**
 * Under the run's lock, before anything else: completes a swap a kill
 * interrupted (a verified staging run with no `run=<id>` beside it moves
 * in; otherwise the trashed old run moves back), then removes hidden
 * leftovers of this run (staging and trash directories). With `keepAttempt`
 * (kinds whose steps act outside the run directory), the newest unfinished
 * staging directory that holds a plan is kept and returned, for a `--force`
 * to resume; null when there is none.
 */
export async function recoverRunDir(outputRoot: string, runId: string, opts: { keepAttempt?: boolean } = {}): Promise<string | null> {
  const home = runLayout.runDir(outputRoot, runId);
  let names: string[] = [];
  try {
    names = await readdir(outputRoot);
  } catch {
    return null;
  }
  const leftovers = names.filter((n) => runLayout.isLeftoverOf(n, runId));
  if (leftovers.length === 0) return null;
  const homeExists = names.includes(runLayout.dirName(runId));
  if (!homeExists) {
    for (const n of leftovers.filter((x) => !runLayout.isTrashOf(x, runId))) {
      if (await readRunManifest(join(outputRoot, n))) {
        await rename(join(outputRoot, n), home);
        break;
      }
    }
  }
  if (!homeExists && !(await readRunManifest(home))) {
    const trash = leftovers.find((n) => runLayout.isTrashOf(n, runId));
    if (trash) await rename(join(outputRoot, trash), home).catch(() => undefined);
  }
  const left = (await readdir(outputRoot)).filter((n) => runLayout.isLeftoverOf(n, runId));
  const kept = opts.keepAttempt ? await newestAttempt(outputRoot, left.filter((n) => runLayout.isStagingOf(n, runId))) : null;
  await Promise.all(left.filter((n) => n !== kept).map((n) => rm(join(outputRoot, n), { recursive: true, force: true })));
  return kept === null ? null : join(outputRoot, kept);
}

/**
 * The unfinished `--force` attempt of a run to resume, without removing
 * anything: the newest hidden staging directory of `runId` that holds a plan
 * and no manifest; null when there is none. For kinds whose steps act
 * outside the run directory (JobKind.effectsOutsideRun).
 */
export async function findAttempt(outputRoot: string, runId: string): Promise<string | null> {
  const names = await readdir(outputRoot).catch(() => [] as string[]);
  const unfinished: string[] = [];
  for (const n of names.filter((x) => runLayout.isStagingOf(x, runId))) {
    if (!(await readRunManifest(join(outputRoot, n)))) unfinished.push(n);
  }
  const kept = await newestAttempt(outputRoot, unfinished);
  return kept === null ? null : join(outputRoot, kept);
}

/** The most recently planned of these staging directories that has a plan (an attempt that started), or null. */
async function newestAttempt(outputRoot: string, staging: string[]): Promise<string | null> {
  let best: { name: string; mtimeMs: number } | null = null;
  for (const name of staging) {
    const st = await stat(runLayout.planFile(join(outputRoot, name))).catch(() => null);
    if (st && (!best || st.mtimeMs > best.mtimeMs)) best = { name, mtimeMs: st.mtimeMs };
  }
  return best?.name ?? null;
}
