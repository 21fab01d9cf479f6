/**
 * The evaluation metrics ortq computes from a model's predictions, each with
 * scikit-learn 1.2's definition (test/kinds/train/metrics.test.ts checks them
 * against sklearn 1.2.1). Each knows its task, whether greater is better and
 * whether it needs class probabilities rather than predicted labels.
 */
import type { Task } from './trainers/types.js';
import { accuracy, balancedAccuracy, binaryScore, macroScore, type Labels } from './metrics/classification.js';
import { brier, logLoss, rocAuc, type Proba } from './metrics/probability.js';
import { mae, mape, r2, rmse } from './metrics/regression.js';

export interface MetricInput {
  /** true targets: class indices 0..k-1 (classification) or values (regression) */
  y: Labels;
  /** predictions: class indices (classification) or values (regression) */
  pred: Labels;
  /** row-major [N, k] class probabilities; needed by the metrics with `needsProba` */
  proba?: Proba;
  /** number of classes (classification); defaults to 1 + the largest index seen */
  k?: number;
}

export interface Metric {
  task: Task;
  greaterIsBetter: boolean;
  needsProba: boolean;
  /** defined for two classes only (the positive class is index 1, the greater sorted label) */
  binaryOnly: boolean;
  fn(input: MetricInput): number;
}

function classes(m: MetricInput): number {
  if (m.k !== undefined) return m.k;
  if (m.proba) return m.proba.length / Math.max(1, m.y.length);
  let k = 0;
  for (let i = 0; i < m.y.length; i++) k = Math.max(k, m.y[i] + 1, m.pred[i] + 1);
  return k;
}

function proba(m: MetricInput, name: string): Proba {
  if (!m.proba) throw new RangeError(`metric ${name} needs class probabilities`);
  return m.proba;
}

const label = (fn: (m: MetricInput) => number, greaterIsBetter = true, binaryOnly = false): Metric =>
  ({ task: 'classification', greaterIsBetter, needsProba: false, binaryOnly, fn });
const prob = (name: string, f: (y: Labels, p: Proba, k: number) => number, greaterIsBetter: boolean): Metric =>
  ({ task: 'classification', greaterIsBetter, needsProba: true, binaryOnly: false, fn: (m) => f(m.y, proba(m, name), classes(m)) });
const reg = (f: (y: Labels, yhat: Labels) => number, greaterIsBetter: boolean): Metric =>
  ({ task: 'regression', greaterIsBetter, needsProba: false, binaryOnly: false, fn: (m) => f(m.y, m.pred) });

export const METRICS = {
  accuracy: label((m) => accuracy(m.y, m.pred)),
  balanced_accuracy: label((m) => balancedAccuracy(m.y, m.pred, classes(m))),
  precision: label((m) => binaryScore('precision', m.y, m.pred), true, true),
  recall: label((m) => binaryScore('recall', m.y, m.pred), true, true),
  f1: label((m) => binaryScore('f1', m.y, m.pred), true, true),
  precision_macro: label((m) => macroScore('precision', m.y, m.pred, classes(m))),
  recall_macro: label((m) => macroScore('recall', m.y, m.pred, classes(m))),
  f1_macro: label((m) => macroScore('f1', m.y, m.pred, classes(m))),
  roc_auc: prob('roc_auc', rocAuc, true),
  log_loss: prob('log_loss', logLoss, false),
  brier: prob('brier', brier, false),
  rmse: reg(rmse, false),
  mae: reg(mae, false),
  r2: reg(r2, true),
  mape: reg(mape, false),
} as const satisfies Record<string, Metric>;

export type MetricName = keyof typeof METRICS;

export function isMetricName(name: string): name is MetricName {
  return Object.prototype.hasOwnProperty.call(METRICS, name);
}

/** The metric's value, or NaN where it is undefined for this data (e.g. roc_auc with one class present). */
export function computeMetric(name: MetricName, input: MetricInput): number {
  return METRICS[name].fn(input);
}

export { accuracy, balancedAccuracy, binaryScore, macroScore, brier, logLoss, rocAuc, mae, mape, r2, rmse };
