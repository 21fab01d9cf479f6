import { METRICS, type Metric } from './metrics.js';

/** What the spec and the decision need to know of a metric (task, direction); metrics.ts computes them. */
export type MetricInfo = Pick<Metric, 'task' | 'greaterIsBetter' | 'needsProba' | 'binaryOnly'>;

export const METRIC_NAMES = Object.keys(METRICS) as Array<keyof typeof METRICS>;

export function metricInfo(name: string): MetricInfo | undefined {
  return Object.prototype.hasOwnProperty.call(METRICS, name) ? (METRICS as Record<string, Metric>)[name] : undefined;
}
