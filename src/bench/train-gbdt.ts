/**
 * Fit time of the built-in gbdt trainer on synthetic in-memory data, for
 * `npm run bench` to report beside scikit-learn. The data are a fixed
 * formula of the row and column index (no RNG), so Python builds the very
 * same matrix:
 *
 *   import numpy as np, time
 *   from sklearn.ensemble import HistGradientBoostingRegressor as R, HistGradientBoostingClassifier as C
 *   def data(rows, features):
 *       i = np.arange(1, rows + 1, dtype=np.float64)[:, None]; j = np.arange(features, dtype=np.float64)[None, :]
 *       s = np.sin(i * (j + 1) * 12.9898 + j * 78.233) * 43758.5453
 *       X = (s - np.floor(s)) * 2 - 1
 *       z = np.sin(3 * X[:, 0]) + X[:, 1] * X[:, 2] + 0.5 * X[:, 3] + 0.3 * X[:, 4] ** 2
 *       return X, z
 *   X, z = data(1_000_000, 30)
 *   t = time.perf_counter(); R(max_iter=100, early_stopping=False).fit(X, z); print('regression', time.perf_counter() - t)
 *   t = time.perf_counter(); C(max_iter=100, early_stopping=False).fit(X, z > 0.15); print('binary', time.perf_counter() - t)
 *   t = time.perf_counter(); C(max_iter=100, early_stopping=False).fit(X, (z > -0.2).astype(int) + (z > 0.6)); print('multiclass', time.perf_counter() - t)
 *
 * bench/sklearn_gbdt.py runs exactly this; src/bench/fit.ts puts both side by side.
 */
import { availableParallelism } from 'node:os';
import { fitGbdtTrainer } from '../kinds/train/trainers/gbdt/index.js';
import type { Task } from '../kinds/train/trainers/types.js';

/** `seconds` is wall time of the fit alone; `cpuSeconds` the process's CPU time (all threads) during it. */
export interface TrainBenchResult { trainer: 'gbdt'; task: Task; classes: number; rows: number; features: number; seconds: number; cpuSeconds: number; iterations: number; threads: number }

/** Class of z for the bench's classification targets: binary z > 0.15; 3 classes cut at -0.2 and 0.6. */
export function benchLabel(z: number, classes: number): number {
  return classes === 2 ? (z > 0.15 ? 1 : 0) : (z > -0.2 ? 1 : 0) + (z > 0.6 ? 1 : 0);
}

/** The bench matrix (columns) and its target z; see the Python above. */
export function benchData(rows: number, features: number): { columns: Float64Array[]; z: Float64Array } {
  const columns = Array.from({ length: features }, (_, j) => {
    const c = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      const s = Math.sin((i + 1) * (j + 1) * 12.9898 + j * 78.233) * 43758.5453;
      c[i] = (s - Math.floor(s)) * 2 - 1;
    }
    return c;
  });
  const z = new Float64Array(rows);
  const x = columns;
  for (let i = 0; i < rows; i++) z[i] = Math.sin(3 * x[0][i]) + x[1][i] * x[2][i] + 0.5 * x[3][i] + 0.3 * x[4][i] ** 2;
  return { columns, z };
}

/**
 * Fits gbdt (default hyperparameters unless given) and returns the seconds of
 * the fit alone. `classes` (2 unless given) applies to classification; `data`
 * reuses a matrix from benchData.
 */
export function benchGbdtFit(opts: { rows?: number; features?: number; task?: Task; classes?: 2 | 3; hyperparameters?: Record<string, unknown>; threads?: number; data?: { columns: Float64Array[]; z: Float64Array } } = {}): TrainBenchResult {
  const rows = opts.data ? opts.data.z.length : opts.rows ?? 1_000_000;
  const features = opts.data ? opts.data.columns.length : opts.features ?? 30;
  const task = opts.task ?? 'regression';
  const classes = task === 'regression' ? 0 : opts.classes ?? 2;
  const { columns, z } = opts.data ?? benchData(rows, features);
  const y = task === 'regression' ? z : Float64Array.from(z, (v) => benchLabel(v, classes));
  const started = performance.now();
  const cpu = process.cpuUsage();
  const result = fitGbdtTrainer({
    task, seed: 1, inputName: 'float_input', hyperparameters: opts.hyperparameters ?? {}, threads: opts.threads ?? availableParallelism(),
    X: { names: columns.map((_, j) => `f${j}`), columns, rows },
    target: { y, classes: Array.from({ length: classes }, (_, k) => k) },
  });
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { trainer: 'gbdt', task, classes, rows, features, seconds, cpuSeconds: (used.user + used.system) / 1e6, iterations: result.info.iterations as number, threads: opts.threads ?? availableParallelism() };
}
