/**
 * The drift histograms' own cost, in isolation: a DriftAccumulator counting
 * `rows` rows × `features` float32 columns (the bench MLP's inputs) in
 * batches of `batch`, plus a [rows, 10] score output (its 10 score columns
 * and the argmax class), as a predict run's shard does. The batches are made
 * before the clock starts (64 distinct ones, cycled: more than any cache
 * holds), so only counting is timed.
 */
import { seededRandom } from '../onnx/builder.js';
import { DriftAccumulator } from '../monitor/histograms.js';
import { ProfileBuilder } from '../monitor/profile-builder.js';
import { featureBatch } from './datasets.js';

export const DRIFT_OUTPUTS = 10;
const DISTINCT = 64;

function scores(rows: number, seed: number): { type: string; data: Float32Array; dims: number[] } {
  const rnd = seededRandom(seed);
  const data = new Float32Array(rows * DRIFT_OUTPUTS);
  for (let i = 0; i < data.length; i++) data[i] = rnd() * 4 - 2;
  return { type: 'float32', data, dims: [rows, DRIFT_OUTPUTS] };
}

export interface DriftCost { rows: number; seconds: number; cpuSeconds: number }

/** Best of `reps` passes (by wall time), with that pass's CPU seconds (this thread's process, user + system). */
export function measureDriftCounting(rows: number, features: number, batch: number, reps = 3): DriftCost {
  const builder = new ProfileBuilder();
  builder.add(featureBatch(100_000, features, 99), { y: scores(100_000, 98) });
  const profile = builder.finish({ source: [] });
  const n = Math.min(DISTINCT, Math.ceil(rows / batch));
  const batches = Array.from({ length: n }, (_, i) => featureBatch(batch, features, i + 1));
  const outs = batches.map((b, i) => scores(b.numRows, 1000 + i));
  let best: DriftCost = { rows, seconds: Infinity, cpuSeconds: 0 };
  for (let rep = 0; rep < reps; rep++) {
    const acc = new DriftAccumulator(profile, 'sha256:bench');
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let done = 0, i = 0; done < rows; i++) {
      const b = batches[i % n];
      const take = Math.min(batch, rows - done);
      const part = take === batch ? b : b.slice(0, take);
      acc.addBatch(part);
      acc.addOutputs({ y: take === batch ? outs[i % n] : { ...outs[i % n], data: outs[i % n].data.subarray(0, take * DRIFT_OUTPUTS), dims: [take, DRIFT_OUTPUTS] } }, take);
      done += take;
    }
    acc.result();
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    if (seconds < best.seconds) best = { rows, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
  }
  return best;
}
