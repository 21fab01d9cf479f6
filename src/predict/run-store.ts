import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic } from '../fs/atomic.js';
import { OrtqError } from '../errors.js';
import type { RunManifest, RunPlan, ShardReceipt } from './types.js';

/**
 * The on-disk layout of a run, under `output.path`:
 *   run=<runId>/_plan.json           the plan (written before any shard runs)
 *   run=<runId>/part-<shard>.<ext>   one part file per shard, renamed into place
 *   run=<runId>/_shards/<shard>.json a receipt per committed shard
 *   run=<runId>/run.json             the run manifest, written last
 *   _latest.json                     pointer to the newest finished run
 */

export const PLAN_FILE = '_plan.json';
export const MANIFEST_FILE = 'run.json';
export const LATEST_FILE = '_latest.json';
/** a failed run's manifest: beside the run, never as run.json, so it cannot look finished */
export const FAILED_FILE = '_failed.json';
/** receipt files read at once by readShardReceipts */
const RECEIPT_READS = 16;

async function readJson<T>(file: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

export async function writePlan(plan: RunPlan): Promise<void> {
  await writeJsonAtomic(join(plan.runDir, PLAN_FILE), plan);
}

export async function readPlanIfExists(runDir: string): Promise<RunPlan | null> {
  return readJson<RunPlan>(join(runDir, PLAN_FILE));
}

export async function readPlan(runDir: string): Promise<RunPlan> {
  const plan = await readPlanIfExists(runDir);
  if (!plan) throw new OrtqError('ORTQ_RUN_NOT_FOUND', `no run plan in ${runDir}`, { runDir });
  return plan;
}

/** The finished run's manifest, or null when the run has not finished. */
export async function readRunManifest(runDir: string): Promise<RunManifest | null> {
  return readJson<RunManifest>(join(runDir, MANIFEST_FILE));
}

/** The manifest of a finished run, or of a failed one; null while neither exists. */
export async function readRunOutcome(runDir: string): Promise<RunManifest | null> {
  return (await readRunManifest(runDir)) ?? readJson<RunManifest>(join(runDir, FAILED_FILE));
}

export function receiptPath(runDir: string, shard: string): string {
  return join(runDir, '_shards', `${shard}.json`);
}

export async function readShardReceipt(runDir: string, shard: string): Promise<ShardReceipt | null> {
  return readJson<ShardReceipt>(receiptPath(runDir, shard));
}

export async function writeShardReceipt(runDir: string, receipt: ShardReceipt): Promise<void> {
  await writeJsonAtomic(receiptPath(runDir, receipt.shard), receipt);
}

export async function readShardReceipts(plan: RunPlan): Promise<Map<string, ShardReceipt>> {
  const out = new Map<string, ShardReceipt>();
  let names: string[] = [];
  try {
    names = await readdir(join(plan.runDir, '_shards'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const files = names.filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort();
  // a run of 1,000 shards has 1,000 receipts: read them several at a time, keep their order
  const read: Array<ShardReceipt | null> = new Array(files.length).fill(null);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(RECEIPT_READS, files.length) }, async () => {
    while (next < files.length) {
      const i = next++;
      read[i] = await readJson<ShardReceipt>(join(plan.runDir, '_shards', files[i]));
    }
  }));
  for (const r of read) if (r) out.set(r.shard, r);
  return out;
}

export async function writeLatestPointer(outputPath: string, manifest: RunManifest): Promise<void> {
  await writeJsonAtomic(join(outputPath, LATEST_FILE), {
    runId: manifest.runId,
    runDir: `run=${manifest.runId}`,
    finishedAt: manifest.finishedAt,
  });
}
