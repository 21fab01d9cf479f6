import { DriftAccumulator } from '../monitor/histograms.js';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { predictPathSetting, type OrtqConfig } from '../config.js';
import type { AtomicGroup } from '../fs/atomic.js';
import { OrtqError } from '../errors.js';
import { createPartWriter, type PartWriter } from '../io/write.js';
import { readBatches } from '../io/read.js';
import { childOf } from '../io/record-batch.js';
import type { ModelRepository, ResolvedModel } from '../repo/model-repository.js';
import { shardReadPool } from '../io/shared-pool.js';
import { buildFeatures, FeatureScratch, sharedFeatures, type FeatureBatch, type InputSpec } from './features.js';
import type { ThreadResult } from './inference-client.js';
import { FeedCountPlanner, type FeedCountPlan } from './drift-feed.js';
import type { ThreadTensor } from './inference-thread.js';
import { inferenceThreadFor, type InferencePool } from './inference-pool.js';
import { batchFromColumns, outputColumns } from './outputs.js';
import type { PinnedModel, StepReceipt } from '../kinds/types.js';
import { runLayout } from '../runs/layout.js';
import { pinnedModel } from './model-pin.js';
import type { RunPlan } from './types.js';
import { vectorFromArray, type RecordBatch, type Vector } from 'apache-arrow';

export interface ShardRunOptions {
  repo: ModelRepository;
  inference?: OrtqConfig['inference'];
  onProgress?: (rowsDone: number) => void;
  logger?: Logger;
  /** the run core's group: the part is made durable with the shard's receipt (src/runs/steps.ts) */
  commit?: AtomicGroup;
}

export function partFileName(plan: RunPlan, shard: string): string {
  return runLayout.partName(shard, plan.job.output.format);
}

// Stored model versions are immutable: the plan pins one version by digest,
// resolved once per process (model-pin.ts), loaded and verified once here.
const verified = new Map<string, Promise<Scorer>>();

interface Scorer {
  thread: InferencePool;
  model: ResolvedModel;
  outputNames: string[];
  /** inputs the rewritten model takes column-major (`[k, N]`) */
  columnMajor: ReadonlySet<string>;
  /** outputs the rewritten model returns transposed (`[k, N]`) */
  transposed: ReadonlySet<string>;
}

/**
 * The pinned version's scorer (the exact version a plan resolved): loaded and verified once per process, its
 * inference threads started (and their sessions created) once. A local run
 * asks for it while it still fingerprints its inputs (gatherPredictFacts), so
 * that the session starts meanwhile.
 */
export function scorerFor(pin: PinnedModel, opts: Pick<ShardRunOptions, 'repo' | 'inference'>): Promise<Scorer> {
  // outputs come back transposed (columns without a copy); drift histograms count them as they are
  const transposeOutputs = predictPathSetting() === 'shared';
  const key = `${opts.repo.root}\0${pin.digest}\0${transposeOutputs ? 't' : ''}\0${opts.inference?.threads ?? 0}`;
  let p = verified.get(key);
  if (!p) {
    p = (async () => {
      const model = await pinnedModel(opts.repo, pin);
      const { bytes } = await opts.repo.load(model);
      const thread = inferenceThreadFor(model.digest, () => bytes, opts.inference, { columnMajor: true, transposeOutputs });
      const { outputNames, columnMajor, transposed } = await thread.ready;
      return { thread, model, outputNames, columnMajor: new Set(Object.keys(columnMajor)), transposed: new Set(transposed) };
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

/** Assembles the output record batch: passthrough columns first, then each model output's columns. */
function outputBatch(plan: RunPlan, scorer: Scorer, batch: RecordBatch, fb: FeatureBatch, outputs: Record<string, ThreadTensor>): RecordBatch {
  const columns: Array<[string, Vector]> = plan.job.passthrough.map((c) => [c, takeRows(childOf(batch, c)!, fb.keep)]);
  const labels = scorer.model.manifest.classLabels ?? {};
  for (const name of scorer.outputNames) {
    const opt = plan.job.outputs[name] ?? {};
    columns.push(...outputColumns({ name, tensor: outputs[name], rows: fb.rows, labels: labels[name], as: opt.as, rename: opt.rename, transposed: scorer.transposed.has(name) }));
  }
  return batchFromColumns(columns, fb.rows);
}

/**
 * Batches in flight at once: one being scored by each inference thread, and
 * behind them three more for a single thread (one for several). With only one
 * queued, the inference thread (the critical path of a fast model) sat idle
 * whenever the main thread waited for the next record batch's read or a part
 * write. Measured on the quiet 2-core machine, 10M rows warm, alternated: MLP
 * 3.23-3.65M (median 3.46M) rows/s with one queued, 3.50-3.88M (3.78M) with
 * three; linear 7.7-8.5M vs 9.0-9.1M; peak RSS unchanged. With two threads
 * (tree ensembles, inference-bound) three queued measured no better.
 */
const pipelineDepth = (scorer: Scorer): number => scorer.thread.size + (scorer.thread.size === 1 ? 3 : 1);

/**
 * Asks for the next batch before the current one is scored, so that file
 * reads (on libuv's thread pool) overlap inference on this thread. `drop`
 * gets a batch read ahead that the consumer stopped before.
 */
export async function* readAhead<T>(source: AsyncIterable<T>, drop?: (value: T) => void): AsyncGenerator<T> {
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
    const unread = await next.catch(() => null);
    if (drop && unread && !unread.done) drop(unread.value);
    await it.return?.();
  }
}

/**
 * Runs one shard of a plan: reads its units, scores them and commits one part
 * file atomically under a deterministic name, and returns the receipt. The
 * run core (src/runs/steps.ts) skips shards that have a receipt and writes
 * the receipt, so a retried or re-delivered shard never duplicates rows.
 */
export async function runShard(plan: RunPlan, shardIndex: number, opts: ShardRunOptions): Promise<StepReceipt> {
  const shard = plan.shards[shardIndex];
  if (!shard) throw new OrtqError('ORTQ_RUN_NOT_FOUND', `run ${plan.runId} has no shard ${shardIndex}`);
  const startedAt = new Date().toISOString();
  const log = opts.logger?.child({ runId: plan.runId, shardId: shard.id, model: plan.model.tag });
  const scorer = await scorerFor(plan.model, opts);
  const { thread, model, columnMajor } = scorer;
  const depth = pipelineDepth(scorer);
  const inputs = model.manifest.signature.inputs as InputSpec[];
  const needed = [...new Set([...Object.values(plan.job.features).flat(), ...plan.job.passthrough])];
  const partName = partFileName(plan, shard.id);
  let writer: PartWriter | null = null;
  let rowsRead = 0;
  let rowsWritten = 0;
  let rowsSkipped = 0;
  let batches = 0;
  const scratch = new FeatureScratch();
  // Arrow inputs, and Parquet and CSV read by DuckDB, are read into shared
  // buffers, reused once a batch is written and its shared outputs returned;
  // not for Parquet parts (the encoder keeps
  // every batch, passthrough columns and outputs, until the part ends). Drift
  // histograms of the columns the inference thread copies are counted there,
  // from its own feed (drift-feed.ts)
  const recycle = plan.job.output.format !== 'parquet' && predictPathSetting() === 'shared';
  const pool = recycle ? shardReadPool : undefined;
  // batches counted out to this shard and not yet given back: a failed shard gives them back
  // (after its steps settle), or a long-lived worker would never reuse those buffers
  const held = new Set<RecordBatch>();
  const giveBack = (batch: RecordBatch): void => {
    if (held.delete(batch)) pool!.releaseBatch(batch);
  };
  // drift histograms counted in the same pass, against the profile the run was planned with
  const drift = plan.profile ? new DriftAccumulator(plan.profile.profile, plan.profile.digest, model.manifest.classLabels ?? {}) : null;
  // plain float32 columns fed column-major are counted by the inference thread, from the feed (drift-feed.ts)
  const feedCounts = drift ? new FeedCountPlanner(drift, plan.job.features, inputs, columnMajor) : null;
  const counting: Array<Promise<void>> = [];
  // scored batches are written strictly in order: each step waits for the one before
  let tail: Promise<void> = Promise.resolve();
  const inflight: Array<Promise<void>> = [];
  try {
    for (const piece of shard.pieces) {
      const input = plan.inputs[piece.input];
      const file = { path: input.path, format: input.format, size: input.size, mtimeMs: 0 };
      for await (const batch of readAhead(readBatches(file, { columns: needed, unitStart: piece.unitStart, unitEnd: piece.unitEnd, batchSize: plan.job.batchSize, pool }), pool ? (b) => pool.releaseBatch(b) : undefined)) {
        if (pool) held.add(batch);
        const rowBase = rowsRead;
        const featureArgs = { batch, features: plan.job.features, inputs, nulls: plan.job.nulls, file: input.path, rowBase, scratch, columnMajor };
        // columns in shared buffers go to the inference thread as they are; it copies them
        const shared = pool && batch.numRows > 0 ? sharedFeatures(batch, plan.job.features, inputs, columnMajor) : null;
        const fb: FeatureBatch = shared ? { tensors: new Map(), keep: null, rows: batch.numRows, skipped: 0, valuesSeen: false } : buildFeatures(featureArgs);
        const toCount = feedCounts?.plan(batch, fb, shared) ?? null;
        drift?.addBatch(batch, toCount?.columns);
        rowsRead += batch.numRows;
        batches++;
        const score = async (f: FeatureBatch, count: FeedCountPlan | null = null): Promise<ThreadResult> => {
          const sent = f === fb && shared ? thread.runShared(shared, count?.requests) : thread.run(Object.fromEntries([...f.tensors].map(([name, t]) => [name, t as ThreadTensor])), count?.requests);
          const r = await sent.catch((err: Error) => {
            throw new OrtqError('ORTQ_INFERENCE_FAILED', `${input.path}: rows ${rowBase}..${rowBase + batch.numRows - 1}: ${err.message}`);
          });
          for (const [name, t] of Object.entries(r.feeds)) scratch.give(name, t.data);
          if (r.counted && count) {
            const counted = r.counted.then((c) => {
              for (const [name, t] of Object.entries(c.feeds)) scratch.give(name, t.data);
              feedCounts!.add(count, c.counted);
            });
            counted.catch(() => undefined); // awaited before the receipt
            counting.push(counted);
          }
          return r;
        };
        // The fast path does not look at values; when the model saw a NaN or
        // ±Infinity the batch is built again by the careful path, which applies
        // the null policy, and scored again.
        if (fb.rows === 0) {
          rowsSkipped += fb.skipped;
          if (pool) giveBack(batch);
        }
        const scored = fb.rows === 0 ? null : score(fb, toCount).then(async (r) => {
          if (r.finite || fb.valuesSeen) return { r, fb };
          const again = buildFeatures({ ...featureArgs, careful: true });
          return { r: again.rows > 0 ? await score(again) : null, fb: again };
        });
        if (scored) {
          // awaited by its step, which may start only after this settles: no unhandled rejection meanwhile
          scored.catch(() => undefined);
          const step = tail.then(async () => {
            const { r, fb: built } = await scored;
            rowsSkipped += built.skipped;
            if (!r) return;
            writer ??= createPartWriter(runLayout.file(plan.runDir, partName), plan.job.output.format, { group: opts.commit });
            drift?.addOutputs(r.outputs, built.rows, scorer.transposed);
            await writer.write(outputBatch(plan, scorer, batch, built, r.outputs));
            rowsWritten += built.rows;
            // written (and hashed): nothing reads the batch's columns or the outputs any more
            if (recycle) thread.release(r.outputs);
            if (pool) giveBack(batch);
          });
          step.catch(() => undefined); // awaited below; this only silences the unhandled-rejection check
          tail = step;
          inflight.push(step);
          if (inflight.length >= depth) await inflight.shift();
        }
        opts.onProgress?.(rowsRead);
      }
    }
    await tail;
    await Promise.all(counting);
    const w = writer as PartWriter | null; // assigned inside the pipeline steps
    const committed = w ? await w.commit() : null;
    const receipt: StepReceipt = {
      step: shard.id,
      files: committed ? [{ path: partName, bytes: committed.bytes, digest: committed.digest, rows: rowsWritten }] : [],
      rows: { read: rowsRead, written: rowsWritten, skipped: rowsSkipped },
      startedAt,
      finishedAt: new Date().toISOString(),
      host: hostname(),
      pid: process.pid,
      detail: { batches, ...(drift ? { histograms: drift.result() } : {}) },
    };
    log?.debug({ rows: rowsWritten }, 'shard committed');
    return receipt;
  } catch (err) {
    await Promise.allSettled([...inflight, ...counting]);
    if (pool) for (const b of [...held]) giveBack(b);
    await (writer as PartWriter | null)?.abort().catch(() => undefined);
    throw err;
  }
}
