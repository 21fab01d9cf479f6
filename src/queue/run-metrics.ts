import { Counter, Gauge, type Registry } from 'prom-client';
import type { RunStats, StoredHistogram } from './run-stats.js';

/**
 * Run-level metrics, read from Redis on each scrape (run-stats.ts), so every
 * dashboard reports the same numbers however many workers finished the runs:
 * - `ortq_runs_total{kind,status}` (counter): runs that ended completed, failed or cancelled;
 * - `ortq_run_duration_seconds{kind}` (histogram): enqueue or first start to the end, of runs a worker finalized;
 * - `ortq_last_success_timestamp_seconds{job}` (gauge): unix time of each job's latest completed run;
 * - `ortq_train_runs_total{model,verdict}` (counter): training runs a worker finalized, by verdict (`failed`: the run failed);
 * - `ortq_train_duration_seconds{model}` (histogram): their wall time, as `ortq_run_duration_seconds`;
 * - `ortq_promotions_total{model}` (counter): aliases those runs moved to their candidate.
 */
export function registerRunMetrics(registry: Registry, read: () => Promise<RunStats>): void {
  let pending: Promise<RunStats> | null = null;
  // one HGETALL per scrape, shared by every metric here
  const stats = () => {
    pending ??= read().finally(() => setTimeout(() => { pending = null; }, 0));
    return pending;
  };
  new Counter({
    name: 'ortq_runs_total', help: 'runs that ended, by kind and status (completed, failed, cancelled); counted in Redis when the run record is closed',
    labelNames: ['kind', 'status'], registers: [registry],
    async collect() {
      this.reset();
      for (const r of (await stats()).runs) this.inc({ kind: r.kind, status: r.status }, r.count);
    },
  });
  new Gauge({
    name: 'ortq_last_success_timestamp_seconds', help: 'unix time at which the latest completed run of each job ended',
    labelNames: ['job'], registers: [registry],
    async collect() {
      this.reset();
      for (const s of (await stats()).lastSuccess) this.set({ job: s.job }, s.at);
    },
  });
  registerStoredHistogram(registry, 'ortq_run_duration_seconds',
    'wall time of runs finalized by a worker, from first step start (or enqueue) to the end, by kind',
    async () => (await stats()).durations.map((d) => ({ labels: { kind: d.kind }, h: d })));
  new Counter({
    name: 'ortq_train_runs_total', help: 'training runs finalized by a worker, by model and verdict (failed: the run failed); counted in Redis when the run record is closed',
    labelNames: ['model', 'verdict'], registers: [registry],
    async collect() {
      this.reset();
      for (const r of (await stats()).train.runs) this.inc({ model: r.model, verdict: r.verdict }, r.count);
    },
  });
  registerStoredHistogram(registry, 'ortq_train_duration_seconds',
    'wall time of training runs finalized by a worker, from first step start (or enqueue) to the end, by model',
    async () => (await stats()).train.durations.map((d) => ({ labels: { model: d.model }, h: d })));
  new Counter({
    name: 'ortq_promotions_total', help: 'aliases moved to its candidate by a training run, by model',
    labelNames: ['model'], registers: [registry],
    async collect() {
      this.reset();
      for (const p of (await stats()).train.promotions) this.inc({ model: p.model }, p.count);
    },
  });
}

/** A histogram whose buckets are counted in Redis: prom-client's Histogram only counts in memory. */
function registerStoredHistogram(registry: Registry, name: string, help: string,
  read: () => Promise<Array<{ labels: Record<string, string>; h: StoredHistogram }>>): void {
  registry.registerMetric({
    name, help, type: 'histogram',
    async get() {
      const values = (await read()).flatMap(({ labels, h }) => [
        ...h.buckets.map((b) => ({ metricName: `${name}_bucket`, labels: { le: b.le === Infinity ? '+Inf' : b.le, ...labels }, value: b.count })),
        { metricName: `${name}_sum`, labels, value: h.sum },
        { metricName: `${name}_count`, labels, value: h.count },
      ]);
      return { name, help, type: 'histogram', aggregator: 'sum', values };
    },
    reset() {},
  } as never);
}
