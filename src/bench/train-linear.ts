/**
 * Fit-time benchmark of the built-in linear trainers on synthetic data, the
 * same data that bench/sklearn_linear.py builds for scikit-learn (an integer
 * hash, so both sides get identical values):
 *
 *   x_ij = (2 u(i, j) − 1) · (1 + j mod 5)
 *   z_i  = Σ_j β_j x_ij / (1 + j mod 5),  β_j = ((7 j) mod 11 − 5) / 5
 *   binary y_i = 1 when u(i, d) < σ(z_i);  3 classes: y_i = ⌊3 u(i, d)⌋ shifted by z's tercile sign;
 *   regression y_i = z_i + 0.5 (u(i, d) − ½)
 *
 * where u(i, j) ∈ [0, 1) is a 32-bit hash of (i, j).
 */
import { fitRidge } from '../kinds/train/trainers/linear.js';
import { fitLogistic } from '../kinds/train/trainers/logistic.js';
import type { TrainMatrix } from '../kinds/train/trainers/types.js';

/** u(i, j): murmur3's finalizer over i ^ (j · golden ratio), as uint32 / 2^32. */
export function hashUniform(i: number, j: number): number {
  let h = (i ^ Math.imul(j, 0x9e3779b9)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

export interface SyntheticLinearData { X: TrainMatrix; z: Float64Array; noise: Float64Array }

export function syntheticLinearData(rows: number, features: number): SyntheticLinearData {
  const columns = Array.from({ length: features }, () => new Float64Array(rows));
  const z = new Float64Array(rows);
  for (let j = 0; j < features; j++) {
    const col = columns[j];
    const scale = 1 + (j % 5);
    const beta = (((7 * j) % 11) - 5) / 5;
    for (let i = 0; i < rows; i++) {
      col[i] = (2 * hashUniform(i, j) - 1) * scale;
      z[i] += (beta * col[i]) / scale;
    }
  }
  const noise = Float64Array.from({ length: rows }, (_, i) => hashUniform(i, features));
  return { X: { names: columns.map((_, j) => `f${j}`), columns, rows }, z, noise };
}

/** `seconds` is wall time; `cpuSeconds` the process's CPU time (user + system) during the fit, steadier on a shared machine. */
export interface LinearBenchResult { trainer: string; rows: number; features: number; seconds: number; cpuSeconds: number; iterations?: number; evaluations?: number; converged?: boolean }

function timer(): () => { seconds: number; cpuSeconds: number } {
  const wall = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  return () => {
    const c = process.cpuUsage(cpu);
    return { seconds: Number(process.hrtime.bigint() - wall) / 1e9, cpuSeconds: (c.user + c.system) / 1e6 };
  };
}

/**
 * Times ridge (`linear`), binary `logistic` and 3-class `logistic` fits with
 * default hyperparameters, one after the other in this process.
 */
export function benchLinearTrainers(opts: { rows: number; features?: number; trainers?: Array<'linear' | 'logistic' | 'logistic3'> }): LinearBenchResult[] {
  const features = opts.features ?? 30;
  const { X, z, noise } = syntheticLinearData(opts.rows, features);
  const results: LinearBenchResult[] = [];
  for (const trainer of opts.trainers ?? ['linear', 'logistic', 'logistic3']) {
    let y: Float64Array;
    if (trainer === 'linear') {
      y = z.map((v, i) => v + 0.5 * (noise[i] - 0.5));
      const t = timer();
      fitRidge(X, y, { l2: 1 });
      results.push({ trainer, rows: opts.rows, features, ...t() });
      continue;
    }
    if (trainer === 'logistic') y = z.map((v, i) => (noise[i] < 1 / (1 + Math.exp(-v)) ? 1 : 0));
    else y = z.map((v, i) => Math.min(2, Math.max(0, Math.floor(3 * noise[i]) + (v > 1 ? 1 : v < -1 ? -1 : 0))));
    const t = timer();
    const fit = fitLogistic(X, y, trainer === 'logistic' ? 2 : 3, { l2: 1, maxIter: 100, tol: 1e-4 });
    results.push({ trainer, rows: opts.rows, features, ...t(), iterations: fit.iterations, evaluations: fit.evaluations, converged: fit.converged });
  }
  return results;
}
