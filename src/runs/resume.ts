import { rm } from 'node:fs/promises';
import type { AnyJobKind, RunManifestBase, RunPlanBase } from '../kinds/types.js';
import { runLayout } from './layout.js';
import { readPlanIfExists, readReceipts, readRunManifest, removeReceipt } from './store.js';
import { damagedSteps, runDamaged, type FileProblem } from './verify.js';
import type { OrtqError } from '../errors.js';

export interface RunState<P extends RunPlanBase, M extends RunManifestBase> {
  /** the plan to go on with: the stored one of an interrupted run (same shard layout), else the fresh one */
  plan: P;
  manifest: M | null;
  /** a finished run whose files are all there (sizes checked, cheaply) */
  intact: boolean;
  /** steps whose receipt's files are missing or changed, or, in a finished run, whose receipt is gone */
  damaged: Map<string, FileProblem[]>;
}

/** Where a run stands on disk before it is (re)run or (re)enqueued. */
export async function inspectRun<P extends RunPlanBase, M extends RunManifestBase>(kind: AnyJobKind, fresh: P): Promise<RunState<P, M>> {
  const home = fresh.runDir;
  const stored = await readPlanIfExists<P>(home);
  const plan = stored && stored.runId === fresh.runId ? { ...stored, runDir: home } : fresh;
  const manifest = await readRunManifest<M>(home);
  const receipts = await readReceipts(home);
  const steps = kind.steps(plan).map((s: { id: string }) => s.id);
  const damaged = await damagedSteps(home, steps, receipts, { hash: false });
  if (manifest) {
    for (const s of steps) if (!receipts.has(s)) damaged.set(s, [{ path: runLayout.receiptFile('.', s).slice(2), problem: 'missing' }]);
  }
  return { plan, manifest, intact: manifest?.status === 'completed' && damaged.size === 0, damaged };
}

/**
 * Unfinishes a damaged run so that only its damaged steps run again: the
 * manifest goes first (the run no longer claims to be finished), then the
 * damaged steps' receipts. Returns the ORTQ_RUN_DAMAGED warning naming the files.
 */
export async function unfinishDamaged(runId: string, home: string, damaged: ReadonlyMap<string, FileProblem[]>): Promise<OrtqError> {
  await rm(runLayout.manifestFile(home), { force: true });
  for (const s of damaged.keys()) await removeReceipt(home, s);
  return runDamaged(runId, home, damaged);
}
