import { recordedDigest } from '../io/digest.js';
import { driftFromShards } from '../monitor/run-drift.js';
import type { HistogramSet } from '../monitor/histograms.js';
import type { RunMode, StepFailure, StepReceipt } from '../kinds/types.js';
import type { RunManifest, RunPlan } from './types.js';

/**
 * The predict manifest (`run.json`) from the plan and the shard receipts;
 * pure. The run core verifies the parts and writes it (src/runs/finalize.ts).
 */
export function predictManifest(plan: RunPlan, receipts: ReadonlyMap<string, StepReceipt>, info: {
  mode: RunMode;
  startedAt: string;
  finishedAt: Date;
  failures: StepFailure[];
  versions: Record<string, string>;
  host: string;
}): RunManifest {
  const missing = plan.shards.filter((s) => !receipts.has(s.id)).map((s) => s.id);
  const complete = missing.length === 0 && info.failures.length === 0;
  const rows = { read: 0, written: 0, skipped: 0 };
  let batches = 0;
  const outputs: RunManifest['outputs'] = [];
  for (const s of plan.shards) {
    const r = receipts.get(s.id);
    if (!r) continue;
    rows.read += r.rows.read;
    rows.written += r.rows.written;
    rows.skipped += r.rows.skipped;
    batches += Number(r.detail?.batches ?? 0);
    for (const f of r.files) outputs.push({ path: f.path, rows: f.rows ?? r.rows.written, bytes: f.bytes, digest: f.digest });
  }
  const durationMs = Math.max(1, info.finishedAt.getTime() - Date.parse(info.startedAt));
  return {
    runId: plan.runId,
    kind: 'predict',
    status: complete ? 'completed' : 'failed',
    job: { name: plan.job.name, spec: plan.job },
    model: plan.model,
    // recordedDigest: a plan of run format 1 (resumed after the upgrade) holds a bare hex sha256
    inputs: plan.inputs.map((i) => ({ path: i.path, format: i.format, size: i.size, digest: recordedDigest(i)!, rows: i.rows })),
    outputs,
    rows,
    batches,
    shards: plan.shards.length,
    startedAt: info.startedAt,
    finishedAt: info.finishedAt.toISOString(),
    durationMs,
    rowsPerSecond: Math.round((rows.read / durationMs) * 1000),
    versions: { ortq: info.versions.ortq ?? '', onnxruntime: info.versions.onnxruntime ?? '', node: info.versions.node ?? process.version },
    host: info.host,
    mode: info.mode,
    drift: driftFromShards(plan.profile, plan.model.tag, plan.shards.map((s) => receipts.get(s.id)?.detail?.histograms as HistogramSet | null | undefined)),
    ...(complete ? {} : {
      failures: [
        ...info.failures,
        ...missing.filter((id) => !info.failures.some((f) => f.step === id)).map((step) => ({ step, code: 'ORTQ_INTERNAL', message: 'shard did not finish' })),
      ],
    }),
  };
}
