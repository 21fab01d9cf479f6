/**
 * The prediction engine's hooks: a per-shard accumulator counted in the same
 * pass that scores, and the run's drift computed at finalize from the shards'
 * histograms. A model version without a profile costs nothing and the run
 * records why no drift was computed.
 *
 * Where it plugs in (src/predict, owned by the engine):
 * - shard-runner.ts, runShard(): after scorerFor(),
 *     `const drift = await openShardDrift(opts.repo, model);`
 *   for each batch read: `drift.addBatch(batch);` (the whole batch, before
 *   the null policy, so the null rate is the data's);
 *   where a scored batch is written (the pipeline step that has `r.outputs`
 *   and `built.rows`): `drift.addOutputs(r.outputs, built.rows);`
 *   in the receipt: `histograms: drift.result()` (ShardReceipt gains
 *   `histograms?: HistogramSet | null`).
 * - finalize.ts, finalizeRun(): once every receipt is read,
 *     `drift: await runDrift(repo, plan.model.tag, receipts.map((r) => r.histograms))`
 *   into run.json (RunManifest gains `drift?: RunDrift`).
 */
import type { RecordBatch } from 'apache-arrow';
import type { ModelRepository, ResolvedModel } from '../repo/model-repository.js';
import type { StoredProfile } from '../repo/profiles.js';
import type { TensorData } from './columns.js';
import { driftReport, type RunDrift } from './drift-report.js';
import { DriftAccumulator, mergeHistograms, type HistogramSet } from './histograms.js';

export interface ShardDrift {
  addBatch(batch: RecordBatch): void;
  addOutputs(outputs: Record<string, TensorData>, rows: number): void;
  /** null when the model version has no profile */
  result(): HistogramSet | null;
}

const NO_DRIFT: ShardDrift = { addBatch: () => undefined, addOutputs: () => undefined, result: () => null };

/**
 * The accumulator for one shard: counts into the version's profile bins, or
 * does nothing when it has none. `model` is the version the shard scores with
 * (its manifest says whether a profile exists, so a version without one costs
 * no read).
 */
export async function openShardDrift(repo: ModelRepository, model: ResolvedModel): Promise<ShardDrift> {
  if (!model.manifest.profile) return NO_DRIFT;
  const stored = await repo.profile(model.tag);
  if (!stored) return NO_DRIFT;
  return new DriftAccumulator(stored.profile, stored.digest, model.manifest.classLabels ?? {});
}

/**
 * The drift section of run.json from the shards' histograms (in any order;
 * counts add up). Skipped, with the reason, when the version has no profile
 * or not every shard counted.
 */
export async function runDrift(repo: ModelRepository, modelTag: string, shards: Array<HistogramSet | null | undefined>): Promise<RunDrift> {
  const counted = shards.filter((h): h is HistogramSet => !!h);
  if (counted.length === 0) {
    const stored = await repo.profile(modelTag).catch(() => null);
    return { status: 'skipped', reason: stored ? 'no shard counted histograms' : `${modelTag} has no profile (ortq models profile ${modelTag} --data PATH)` };
  }
  if (counted.length < shards.length) {
    return { status: 'skipped', reason: `${shards.length - counted.length} of ${shards.length} shards counted no histograms (the profile was attached during the run)` };
  }
  const stored = await repo.profile(modelTag);
  const merged = mergeHistograms(counted)!;
  if (!stored || stored.digest !== merged.profile) {
    return { status: 'skipped', reason: `the shards counted against profile ${merged.profile}, which ${modelTag} no longer holds` };
  }
  return driftReport(stored.profile, merged);
}

/**
 * The same, pure: from the profile the run was planned with (kept in its
 * plan) and the histograms in the shards' receipts. Used by the predict
 * kind's finalize, which may not read the repository.
 */
export function driftFromShards(stored: StoredProfile | null | undefined, modelTag: string, shards: Array<HistogramSet | null | undefined>): RunDrift {
  if (!stored) return { status: 'skipped', reason: `${modelTag} has no profile (ortq models profile ${modelTag} --data PATH)` };
  const counted = shards.filter((h): h is HistogramSet => !!h);
  if (counted.length < shards.length || counted.length === 0) {
    return { status: 'skipped', reason: `${shards.length - counted.length} of ${shards.length} shards counted no histograms` };
  }
  const merged = mergeHistograms(counted);
  if (!merged || merged.profile !== stored.digest) return { status: 'skipped', reason: `the shards counted against another profile than ${stored.digest}` };
  return driftReport(stored.profile, merged);
}
