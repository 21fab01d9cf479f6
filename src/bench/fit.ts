/**
 * Fit-time rows of `npm run bench` (issue 8): the built-in trainers against
 * scikit-learn on identical synthetic data, each side generating it from the
 * same formula (src/bench/train-linear.ts + bench/sklearn_linear.py,
 * src/bench/train-gbdt.ts + bench/sklearn_gbdt.py). Target: ortq's fit
 * within 2× of scikit-learn's, read on CPU seconds as well as wall seconds
 * (the machine may be shared). scikit-learn runs with OMP_NUM_THREADS equal
 * to ortq's thread count; its rows are skipped when no python3 with
 * scikit-learn exists. Nothing in ortq needs Python.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { benchLinearTrainers } from './train-linear.js';
import { benchData, benchGbdtFit } from './train-gbdt.js';

export const FIT_TARGET = 2;

interface Timing { seconds: number; cpuSeconds: number }
export interface FitRow { id: string; label: string; rows: number; ortq: Timing; sklearn: Timing | null }

const LINEAR = [
  { id: 'linear', label: 'ridge fit (linear) vs Ridge' },
  { id: 'logistic', label: 'logistic fit, binary vs LogisticRegression(lbfgs)' },
  { id: 'logistic3', label: 'logistic fit, 3 classes vs LogisticRegression(lbfgs)' },
] as const;
const GBDT = [
  { id: 'gbdt-regression', label: 'gbdt fit, regression vs HistGradientBoostingRegressor', task: 'regression', classes: 2 },
  { id: 'gbdt-binary', label: 'gbdt fit, binary vs HistGradientBoostingClassifier', task: 'classification', classes: 2 },
  { id: 'gbdt-multiclass', label: 'gbdt fit, 3 classes vs HistGradientBoostingClassifier', task: 'classification', classes: 3 },
] as const;

/** One JSON line per case from a bench/*.py script, by case id; null when python3 or scikit-learn is missing. */
function sklearnFits(script: string, args: string[], threads: number, python: string): Map<string, Timing> | null {
  const path = fileURLToPath(new URL(`../../bench/${script}`, import.meta.url));
  if (!existsSync(python) || !existsSync(path)) return null;
  const env = { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
  const r = spawnSync(python, [path, ...args], { encoding: 'utf8', env, maxBuffer: 1 << 20 });
  if (r.status !== 0) {
    process.stderr.write(`scikit-learn fit figures skipped: ${(r.stderr || '').trim().split('\n').pop() ?? 'python3 failed'}\n`);
    return null;
  }
  const out = new Map<string, Timing>();
  for (const line of r.stdout.trim().split('\n')) {
    const o = JSON.parse(line) as { trainer: string } & Timing;
    out.set(o.trainer, { seconds: o.seconds, cpuSeconds: o.cpuSeconds });
  }
  return out;
}

/**
 * Times every fit case whose id `want` accepts: linear ones on `linearRows`
 * rows, gbdt ones on `gbdtRows`, 30 features, default hyperparameters but
 * `gbdtIterations` boosting rounds (100 unless given) on both sides.
 */
export function runFitBench(opts: { linearRows: number; gbdtRows: number; gbdtIterations?: number; threads: number; sklearn: boolean; want: (id: string) => boolean; python?: string }): FitRow[] {
  const python = opts.python ?? '/usr/bin/python3';
  const maxIter = opts.gbdtIterations ?? 100;
  const rows: FitRow[] = [];
  const linear = LINEAR.filter((c) => opts.want(c.id));
  if (linear.length > 0) {
    process.stderr.write(`fit: linear trainers, ${opts.linearRows} rows\n`);
    const sk = opts.sklearn ? sklearnFits('sklearn_linear.py', [String(opts.linearRows), '30'], opts.threads, python) : null;
    benchLinearTrainers({ rows: 2000, trainers: linear.map((c) => c.id) }); // JIT warm-up, not timed
    const ours = benchLinearTrainers({ rows: opts.linearRows, trainers: linear.map((c) => c.id) });
    for (const [k, c] of linear.entries()) rows.push({ id: c.id, label: c.label, rows: opts.linearRows, ortq: ours[k], sklearn: sk?.get(c.id) ?? null });
  }
  const gbdt = GBDT.filter((c) => opts.want(c.id));
  if (gbdt.length > 0) {
    process.stderr.write(`fit: gbdt, ${opts.gbdtRows} rows, ${maxIter} rounds, ${opts.threads} thread(s)\n`);
    const sk = opts.sklearn ? sklearnFits('sklearn_gbdt.py', [String(opts.gbdtRows), '30', String(maxIter)], opts.threads, python) : null;
    const data = benchData(opts.gbdtRows, 30);
    for (const c of gbdt) {
      const r = benchGbdtFit({ data, task: c.task, classes: c.classes, threads: opts.threads, hyperparameters: { maxIter } });
      rows.push({ id: c.id, label: `${c.label}${maxIter === 100 ? '' : ` (${maxIter} rounds)`}`, rows: opts.gbdtRows, ortq: r, sklearn: sk?.get(c.id) ?? null });
    }
  }
  return rows;
}

/** Table cells: case, rows, ortq s (CPU s), sklearn s (CPU s), ratio, ratio (CPU), target, result. */
export function fitCells(r: FitRow): string[] {
  const t = (x: Timing) => `${x.seconds.toFixed(2)} (${x.cpuSeconds.toFixed(2)})`;
  const ratio = r.sklearn ? r.ortq.seconds / r.sklearn.seconds : NaN;
  const cpu = r.sklearn ? r.ortq.cpuSeconds / r.sklearn.cpuSeconds : NaN;
  // judged on CPU seconds: both sides run the same thread count, and wall time swings on a loaded machine
  const result = Number.isNaN(cpu) ? 'skipped' : cpu <= FIT_TARGET ? 'pass' : 'FAIL';
  return [r.label, r.rows.toLocaleString('en'), t(r.ortq), r.sklearn ? t(r.sklearn) : '-',
    Number.isNaN(ratio) ? '-' : `${ratio.toFixed(2)}×`, Number.isNaN(cpu) ? '-' : `${cpu.toFixed(2)}×`, `≤ ${FIT_TARGET}×`, result];
}

export const FIT_HEADER = ['fit case', 'rows', 'ortq s (CPU s)', 'sklearn s (CPU s)', 'ratio', 'ratio (CPU)', 'target', 'result'];
