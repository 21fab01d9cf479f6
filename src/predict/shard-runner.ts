import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { OrtqConfig } from '../config.js';
import { OrtqError } from '../errors.js';
import { createPartWriter, type PartWriter } from '../io/write.js';
import { readBatches } from '../io/read.js';
import type { ModelRepository, ResolvedModel } from '../repo/model-repository.js';
import { buildFeatures, FeatureScratch, type InputSpec } from './features.js';
import { batchFromColumns, outputColumns } from './outputs.js';
import { readShardReceipt, writeShardReceipt } from './run-store.js';
import { getSession, ort, type Session } from './session-cache.js';
import type { RunPlan, ShardReceipt } from './types.js';
import { vectorFromArray, type RecordBatch, type Vector } from 'apache-arrow';

export interface ShardRunOptions {
  repo: ModelRepository;
  inference?: OrtqConfig['inference'];
  onProgress?: (rowsDone: number) => void;
  logger?: Logger;
}

export function partFileName(plan: RunPlan, shard: string): string {
  const ext = plan.job.output.format === 'arrow' ? 'arrow' : plan.job.output.format;
  return `part-${shard}.${ext}`;
}

// Stored model versions are immutable, so once `tag` resolved to the plan's
// digest and that model was verified, later shards of this process skip the
// repository (an alias read, a manifest read and parse per shard otherwise).
const verified = new Map<string, Promise<{ session: Session; model: ResolvedModel }>>();

/** Loads the exact model version the plan resolved, verified, and its cached session. */
export function sessionForPlan(plan: RunPlan, opts: ShardRunOptions): Promise<{ session: Session; model: ResolvedModel }> {
  const key = `${opts.repo.root}\0${plan.model.tag}\0${plan.model.digest}`;
  let p = verified.get(key);
  if (!p) {
    p = (async () => {
      const model = await opts.repo.resolve(plan.model.tag);
      if (model.digest !== plan.model.digest) {
        throw new OrtqError('ORTQ_MODEL_CORRUPT', `model ${plan.model.tag} has digest ${model.digest} but the run was planned with ${plan.model.digest}`);
      }
      const session = await getSession(model.digest, async () => (await opts.repo.load(model)).bytes, opts.inference);
      return { session, model };
    })();
    verified.set(key, p);
    // a failure (missing model, corrupt file) is not remembered: a later shard looks again
    p.catch(() => verified.delete(key));
  }
  return p;
}

function takeRows(vec: Vector, keep: Uint32Array | null): Vector {
  if (!keep) return vec;
  return vectorFromArray(Array.from(keep, (i) => vec.get(i)), vec.type);
}

/** Scores one record batch: features → session.run → output record batch (passthrough columns first). */
export async function scoreBatch(args: {
  batch: RecordBatch;
  plan: RunPlan;
  session: Session;
  model: ResolvedModel;
  file: string;
  rowBase: number;
  scratch?: FeatureScratch;
}): Promise<{ out: RecordBatch | null; rows: number; skipped: number }> {
  const { batch, plan, session, model } = args;
  const inputs = model.manifest.signature.inputs as InputSpec[];
  const fb = buildFeatures({ batch, features: plan.job.features, inputs, nulls: plan.job.nulls, file: args.file, rowBase: args.rowBase, scratch: args.scratch });
  if (fb.rows === 0) return { out: null, rows: 0, skipped: fb.skipped };
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, t] of fb.tensors) feeds[name] = new ort.Tensor(t.type as 'float32', t.data as Float32Array, t.dims);
  let results: ort.InferenceSession.OnnxValueMapType;
  try {
    results = await session.run(feeds);
  } catch (err) {
    throw new OrtqError('ORTQ_INFERENCE_FAILED', `${args.file}: onnxruntime failed on rows ${args.rowBase}..${args.rowBase + batch.numRows - 1}: ${(err as Error).message}`);
  }
  const columns: Array<[string, Vector]> = plan.job.passthrough.map((c) => [c, takeRows(batch.getChild(c)!, fb.keep)]);
  const labels = model.manifest.classLabels ?? {};
  for (const name of session.outputNames) {
    const t = results[name] as ort.Tensor;
    const opt = plan.job.outputs[name] ?? {};
    columns.push(...outputColumns({ name, tensor: t, rows: fb.rows, labels: labels[name], as: opt.as, rename: opt.rename }));
  }
  return { out: batchFromColumns(columns, fb.rows), rows: fb.rows, skipped: fb.skipped };
}

/**
 * Asks for the next batch before the current one is scored, so that file
 * reads (on libuv's thread pool) overlap inference on this thread.
 */
export async function* readAhead<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  let next = it.next();
  try {
    for (;;) {
      const r = await next;
      if (r.done) return;
      next = it.next();
      // an error in the prefetched read surfaces on the next await, not as an unhandled rejection
      next.catch(() => undefined);
      yield r.value;
    }
  } finally {
    await it.return?.();
  }
}

/**
 * Runs one shard of a plan: reads its units, scores them and commits one part
 * file atomically under a deterministic name, then a receipt. A shard that was
 * already committed returns its receipt without doing work, so a retried or
 * re-delivered shard never duplicates rows.
 */
export async function runShard(plan: RunPlan, shardIndex: number, opts: ShardRunOptions): Promise<ShardReceipt> {
  const shard = plan.shards[shardIndex];
  if (!shard) throw new OrtqError('ORTQ_RUN_NOT_FOUND', `run ${plan.runId} has no shard ${shardIndex}`);
  const done = await readShardReceipt(plan.runDir, shard.id);
  if (done) return done;
  const startedAt = new Date().toISOString();
  const log = opts.logger?.child({ runId: plan.runId, shardId: shard.id, model: plan.model.tag });
  const { session, model } = await sessionForPlan(plan, opts);
  const needed = [...new Set([...Object.values(plan.job.features).flat(), ...plan.job.passthrough])];
  const partName = partFileName(plan, shard.id);
  let writer: PartWriter | null = null;
  let rowsRead = 0;
  let rowsWritten = 0;
  let rowsSkipped = 0;
  let batches = 0;
  const scratch = new FeatureScratch();
  try {
    for (const piece of shard.pieces) {
      const input = plan.inputs[piece.input];
      const file = { path: input.path, format: input.format, size: input.size, mtimeMs: 0 };
      for await (const batch of readAhead(readBatches(file, { columns: needed, unitStart: piece.unitStart, unitEnd: piece.unitEnd, batchSize: plan.job.batchSize }))) {
        const r = await scoreBatch({ batch, plan, session, model, file: input.path, rowBase: rowsRead, scratch });
        rowsRead += batch.numRows;
        rowsSkipped += r.skipped;
        batches++;
        if (r.out) {
          writer ??= createPartWriter(join(plan.runDir, partName), plan.job.output.format);
          await writer.write(r.out);
          rowsWritten += r.rows;
        }
        opts.onProgress?.(rowsRead);
      }
    }
    const committed = writer ? await writer.commit() : null;
    const receipt: ShardReceipt = {
      shard: shard.id,
      part: committed ? partName : null,
      rowsRead,
      rowsWritten,
      rowsSkipped,
      batches,
      bytes: committed?.bytes ?? 0,
      sha256: committed?.sha256 ?? null,
      startedAt,
      finishedAt: new Date().toISOString(),
      host: hostname(),
      pid: process.pid,
    };
    await writeShardReceipt(plan.runDir, receipt);
    log?.debug({ rows: rowsWritten }, 'shard committed');
    return receipt;
  } catch (err) {
    await writer?.abort().catch(() => undefined);
    throw err;
  }
}
