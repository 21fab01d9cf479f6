import { computeMetric, METRICS, type MetricInput, type MetricName } from './metrics.js';
import type { PreparedData } from './data.js';
import type { Scored } from './score.js';

export type MetricValues = Record<string, number | null>;

export interface ModelEvaluation {
  metrics: MetricValues;
  /** slice column -> slice value -> metrics on those rows */
  slices: Record<string, Record<string, MetricValues & { rows: number }>>;
}

function subset(input: MetricInput, rows: number[], k: number): MetricInput {
  const pick = (a: ArrayLike<number>) => Float64Array.from(rows, (i) => a[i]);
  let proba: MetricInput['proba'];
  if (input.proba) {
    const src = input.proba;
    const out = src instanceof Float32Array ? new Float32Array(rows.length * k) : new Float64Array(rows.length * k);
    rows.forEach((i, r) => out.set(src.subarray(i * k, i * k + k), r * k));
    proba = out;
  }
  return { y: pick(input.y), pred: pick(input.pred), proba, k: input.k };
}

/** One metric's value; null where it is undefined (NaN), does not apply (binary-only on more classes) or lacks probabilities. */
function value(name: MetricName, input: MetricInput, k: number): number | null {
  const m = METRICS[name];
  if (m.binaryOnly && k !== 2) return null;
  if (m.needsProba && !input.proba) return null;
  const v = computeMetric(name, input);
  return Number.isFinite(v) ? v : null;
}

function metricValues(names: MetricName[], input: MetricInput, k: number): MetricValues {
  return Object.fromEntries(names.map((n) => [n, value(n, input, k)]));
}

/** Every metric over all eval rows, and per value of each slice column. */
export function evaluateScores(scored: Scored, data: PreparedData, metrics: string[], slices: string[]): ModelEvaluation {
  const names = metrics as MetricName[];
  const k = data.classes.length;
  const input: MetricInput = { y: data.eval.y, pred: scored.pred, proba: scored.proba ?? undefined, k: k || undefined };
  const out: ModelEvaluation = { metrics: metricValues(names, input, k), slices: {} };
  for (const col of slices) {
    const values = data.eval.slices[col] ?? [];
    const groups = new Map<string, number[]>();
    values.forEach((v, i) => {
      const g = groups.get(v);
      if (g) g.push(i);
      else groups.set(v, [i]);
    });
    out.slices[col] = {};
    for (const [v, rows] of [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      out.slices[col][v] = { rows: rows.length, ...metricValues(names, subset(input, rows, k), k) };
    }
  }
  return out;
}
