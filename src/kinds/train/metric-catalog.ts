import type { Task } from './trainers/types.js';

/**
 * What the spec needs to know about each metric: the task it fits and whether
 * greater is better. The computation lives in metrics.ts.
 */
export interface MetricInfo { task: Task; greaterIsBetter: boolean; needsProbabilities: boolean; binaryOnly: boolean }

const c = (greaterIsBetter: boolean, needsProbabilities = false, binaryOnly = false): MetricInfo =>
  ({ task: 'classification', greaterIsBetter, needsProbabilities, binaryOnly });
const r = (greaterIsBetter: boolean): MetricInfo => ({ task: 'regression', greaterIsBetter, needsProbabilities: false, binaryOnly: false });

export const METRICS = {
  accuracy: c(true),
  balanced_accuracy: c(true),
  precision: c(true, false, true),
  recall: c(true, false, true),
  f1: c(true, false, true),
  precision_macro: c(true),
  recall_macro: c(true),
  f1_macro: c(true),
  roc_auc: c(true, true),
  log_loss: c(false, true),
  brier: c(false, true),
  rmse: r(false),
  mae: r(false),
  r2: r(true),
  mape: r(false),
} as const satisfies Record<string, MetricInfo>;

export type MetricName = keyof typeof METRICS;

export const METRIC_NAMES = Object.keys(METRICS) as MetricName[];

export function metricInfo(name: string): MetricInfo | undefined {
  return (METRICS as Record<string, MetricInfo>)[name];
}
