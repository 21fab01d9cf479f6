import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { OrtqError } from '../errors.js';
import { writeJsonAtomic, type AtomicGroup } from '../fs/atomic.js';
import type { RunManifestBase, RunPlanBase, StepReceipt } from '../kinds/types.js';
import { upgradeReceipt } from './format.js';
import { runLayout } from './layout.js';

/** Reads and writes the files of one run directory; paths come from layout.ts. */

/** receipt files read at once: a run of 1,000 shards has 1,000 of them */
const RECEIPT_READS = 16;

export async function readJsonIfExists<T>(file: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
    throw err;
  }
}

export async function writePlan(plan: RunPlanBase): Promise<void> {
  await writeJsonAtomic(runLayout.planFile(plan.runDir), plan);
}

export async function readPlanIfExists<P extends RunPlanBase = RunPlanBase>(runDir: string): Promise<P | null> {
  return readJsonIfExists<P>(runLayout.planFile(runDir));
}

export async function readPlan<P extends RunPlanBase = RunPlanBase>(runDir: string): Promise<P> {
  const plan = await readPlanIfExists<P>(runDir);
  if (!plan) throw new OrtqError('ORTQ_RUN_NOT_FOUND', `no run plan in ${runDir}`, { runDir });
  return plan;
}

/** The finished run's manifest, or null when the run has not finished. */
export async function readRunManifest<M extends RunManifestBase = RunManifestBase>(runDir: string): Promise<M | null> {
  return readJsonIfExists<M>(runLayout.manifestFile(runDir));
}

/** The manifest of a finished run, or of a failed one; null while neither exists. */
export async function readRunOutcome<M extends RunManifestBase = RunManifestBase>(runDir: string): Promise<M | null> {
  return (await readRunManifest<M>(runDir)) ?? readJsonIfExists<M>(runLayout.failedFile(runDir));
}

export async function readReceipt(runDir: string, step: string): Promise<StepReceipt | null> {
  const r = await readJsonIfExists<StepReceipt>(runLayout.receiptFile(runDir, step));
  return r && upgradeReceipt(r);
}

/** Stages the step's receipt in `group`, to be made durable with the step's files (src/runs/steps.ts). */
export async function stageReceipt(runDir: string, receipt: StepReceipt, group: AtomicGroup): Promise<void> {
  await group.stageData(runLayout.receiptFile(runDir, receipt.step), JSON.stringify(receipt, null, 2) + '\n');
}

export async function removeReceipt(runDir: string, step: string): Promise<void> {
  await rm(runLayout.receiptFile(runDir, step), { force: true });
}

/** Every receipt in the run directory, by step id. */
export async function readReceipts(runDir: string): Promise<Map<string, StepReceipt>> {
  let names: string[] = [];
  try {
    names = await readdir(runLayout.receiptsDir(runDir));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const files = names.filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort();
  const read: Array<StepReceipt | null> = new Array(files.length).fill(null);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(RECEIPT_READS, files.length) }, async () => {
    while (next < files.length) {
      const i = next++;
      read[i] = await readJsonIfExists<StepReceipt>(join(runLayout.receiptsDir(runDir), files[i]));
    }
  }));
  const out = new Map<string, StepReceipt>();
  for (const r of read) if (r && typeof r.step === 'string') out.set(r.step, upgradeReceipt(r));
  return out;
}

export interface LatestPointer { runId: string; runDir: string; finishedAt: string }

export async function writeLatestPointer(outputRoot: string, m: Pick<RunManifestBase, 'runId' | 'finishedAt'>): Promise<void> {
  const pointer: LatestPointer = { runId: m.runId, runDir: runLayout.dirName(m.runId), finishedAt: m.finishedAt };
  await writeJsonAtomic(runLayout.latestFile(outputRoot), pointer);
}

export async function readLatestPointer(outputRoot: string): Promise<LatestPointer | null> {
  return readJsonIfExists<LatestPointer>(runLayout.latestFile(outputRoot));
}

/** Removes temp files a killed process left in the run directory; only under the run's lock. */
export async function removeStaleTemps(runDir: string): Promise<void> {
  for (const dir of [runDir, runLayout.receiptsDir(runDir)]) {
    let names: string[] = [];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    await Promise.all(names.filter(runLayout.isTemp).map((n) => rm(join(dir, n), { force: true })));
  }
}
