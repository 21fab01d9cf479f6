import type { StoredProfile } from '../repo/profiles.js';
import { runLayout } from '../runs/layout.js';
import { runIdFor } from '../runs/run-id.js';
import type { PlannedInput, PredictJob, RunPlan, ShardPlan } from './types.js';

/**
 * Pure planning: run ids and shard layouts are computed from data alone, so
 * they are testable without disk, Redis or onnxruntime (see changesets).
 * plan-run.ts gathers that data.
 */

/**
 * The run id: job name plus a hash of the normalized spec, the resolved model
 * digest and the input fingerprint. Same inputs → same id. `v: 2`: input
 * digests are xxh3-64 (run format 2), so every run id changed once with it.
 */
export function computeRunId(job: PredictJob, modelDigest: string, inputs: Array<Pick<PlannedInput, 'path' | 'digest'>>): string {
  return runIdFor(job.name, { v: 2, job, model: modelDigest, inputs: inputs.map((i) => [i.path, i.digest]) });
}

export function shardId(index: number): string {
  return String(index).padStart(5, '0');
}

/**
 * Splits inputs into shards of about `shardRows` rows: consecutive units
 * (Parquet row groups, Arrow IPC record batches) of one file are grouped; a
 * file whose unit sizes are unknown (Arrow stream, CSV) is one shard.
 * Shards never span files, so each shard reads one file.
 */
export function planShards(inputs: PlannedInput[], shardRows: number): ShardPlan[] {
  const shards: ShardPlan[] = [];
  const push = (input: number, unitStart: number, unitEnd: number, rows: number | null) => {
    const index = shards.length;
    shards.push({ index, id: shardId(index), pieces: [{ input, unitStart, unitEnd }], rows });
  };
  inputs.forEach((file, i) => {
    if (!file.unitRows) {
      push(i, 0, file.units, file.rows);
      return;
    }
    let start = 0;
    let rows = 0;
    for (let u = 0; u < file.unitRows.length; u++) {
      rows += file.unitRows[u];
      if (rows >= shardRows) {
        push(i, start, u + 1, rows);
        start = u + 1;
        rows = 0;
      }
    }
    if (start < file.unitRows.length || file.unitRows.length === 0) push(i, start, file.unitRows.length, rows);
  });
  return shards;
}

export function runDirFor(job: PredictJob, runId: string): string {
  return runLayout.runDir(job.output.path, runId);
}

export function buildPlan(args: {
  job: PredictJob;
  model: RunPlan['model'];
  inputs: PlannedInput[];
  profile?: StoredProfile | null;
  shardRows: number;
  now?: Date;
  /** where the run is built @defaultValue `output.path/run=<runId>` */
  runDirFor?: (runId: string) => string;
}): RunPlan {
  const runId = computeRunId(args.job, args.model.digest, args.inputs);
  const shards = planShards(args.inputs, args.shardRows);
  const known = args.inputs.every((i) => i.rows !== null);
  return {
    runId,
    runDir: args.runDirFor ? args.runDirFor(runId) : runDirFor(args.job, runId),
    job: args.job,
    model: args.model,
    inputs: args.inputs,
    profile: args.profile ?? null,
    shards,
    totalRows: known ? args.inputs.reduce((s, i) => s + (i.rows ?? 0), 0) : null,
    createdAt: (args.now ?? new Date()).toISOString(),
  };
}

