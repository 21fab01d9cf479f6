import { Counter, Gauge, type Registry } from 'prom-client';
import type { RunStats } from './run-stats.js';

/**
 * Run-level metrics, read from Redis on each scrape (run-stats.ts), so every
 * dashboard reports the same numbers however many workers finished the runs:
 * - `ortq_runs_total{kind,status}` (counter): runs that ended completed, failed or cancelled;
 * - `ortq_run_duration_seconds{kind}` (histogram): enqueue or first start to the end, of runs a worker finalized;
 * - `ortq_last_success_timestamp_seconds{job}` (gauge): unix time of each job's latest completed run.
 */
export function registerRunMetrics(registry: Registry, read: () => Promise<RunStats>): void {
  let pending: Promise<RunStats> | null = null;
  // one HGETALL per scrape, shared by the three metrics
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
  // a histogram whose buckets are counted in Redis: prom-client's Histogram only counts in memory
  const name = 'ortq_run_duration_seconds';
  const help = 'wall time of runs finalized by a worker, from first step start (or enqueue) to the end, by kind';
  registry.registerMetric({
    name, help, type: 'histogram',
    async get() {
      const values = (await stats()).durations.flatMap((d) => [
        ...d.buckets.map((b) => ({ metricName: `${name}_bucket`, labels: { le: b.le === Infinity ? '+Inf' : b.le, kind: d.kind }, value: b.count })),
        { metricName: `${name}_sum`, labels: { kind: d.kind }, value: d.sum },
        { metricName: `${name}_count`, labels: { kind: d.kind }, value: d.count },
      ]);
      return { name, help, type: 'histogram', aggregator: 'sum', values };
    },
    reset() {},
  } as never);
}
