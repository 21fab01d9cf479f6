import { hostname } from 'node:os';
import { join } from 'node:path';
import { writeJsonAtomic } from '../fs/atomic.js';
import { ortqVersion } from '../version.js';
import { recordRun } from './run-ledger.js';
import { FAILED_FILE, MANIFEST_FILE, readShardReceipts, writeLatestPointer } from './run-store.js';
import { onnxruntimeVersion } from '../repo/onnx-runtime-check.js';
import type { RunManifest, RunPlan } from './types.js';

/**
 * Writes the run manifest last, from the shard receipts on disk. A run is
 * `completed` only when every planned shard has a receipt; then the job's
 * latest-run pointer moves to it.
 */
export async function finalizeRun(plan: RunPlan, opts: {
  mode: 'local' | 'queue';
  startedAt: string;
  failures?: Array<{ shard: string; code: string; message: string }>;
}): Promise<RunManifest> {
  const receipts = await readShardReceipts(plan);
  const missing = plan.shards.filter((s) => !receipts.has(s.id)).map((s) => s.id);
  const failures = opts.failures ?? [];
  const complete = missing.length === 0 && failures.length === 0;
  const finishedAt = new Date();
  const rows = { read: 0, written: 0, skipped: 0 };
  let batches = 0;
  const outputs: RunManifest['outputs'] = [];
  for (const s of plan.shards) {
    const r = receipts.get(s.id);
    if (!r) continue;
    rows.read += r.rowsRead;
    rows.written += r.rowsWritten;
    rows.skipped += r.rowsSkipped;
    batches += r.batches;
    if (r.part) outputs.push({ path: r.part, rows: r.rowsWritten, bytes: r.bytes, sha256: r.sha256 });
  }
  const durationMs = Math.max(1, finishedAt.getTime() - Date.parse(opts.startedAt));
  const manifest: RunManifest = {
    runId: plan.runId,
    status: complete ? 'completed' : 'failed',
    job: { name: plan.job.name, spec: plan.job },
    model: plan.model,
    inputs: plan.inputs.map(({ path, format, size, sha256, rows: r }) => ({ path, format, size, sha256, rows: r })),
    outputs,
    rows,
    batches,
    shards: plan.shards.length,
    startedAt: opts.startedAt,
    finishedAt: finishedAt.toISOString(),
    durationMs,
    rowsPerSecond: Math.round((rows.read / durationMs) * 1000),
    versions: { ortq: ortqVersion(), onnxruntime: onnxruntimeVersion(), node: process.version },
    host: hostname(),
    mode: opts.mode,
    ...(complete ? {} : {
      failures: [
        ...failures,
        ...missing.filter((id) => !failures.some((f) => f.shard === id)).map((shard) => ({ shard, code: 'ORTQ_INTERNAL', message: 'shard did not finish' })),
      ],
    }),
  };
  if (complete) {
    await writeJsonAtomic(join(plan.runDir, MANIFEST_FILE), manifest);
    await writeLatestPointer(plan.job.output.path, manifest);
  } else {
    await writeJsonAtomic(join(plan.runDir, FAILED_FILE), manifest);
  }
  await recordRun(manifest, plan.runDir);
  return manifest;
}
