import type { Queue } from 'bullmq';
import { Gauge, Registry } from 'prom-client';
import { registerProcessMetrics } from './process-metrics.js';
import { workerProcesses } from './worker-processes.js';

/** Job states reported per queue; `waiting` includes prioritized jobs, as in `ortq status`. */
const DASHBOARD_STATES = ['waiting', 'active', 'delayed', 'waiting-children', 'completed', 'failed'] as const;

/**
 * Prometheus metrics of the dashboard process. Unlike the worker's
 * counters (`WorkerMetrics` in metrics.ts), these describe the queue itself, so they
 * are read from Redis on every scrape rather than kept in memory: any number
 * of dashboards report the same numbers.
 */
export class QueueMetrics {
  readonly registry = new Registry();

  constructor(queues: readonly Queue[]) {
    registerProcessMetrics(this.registry);
    new Gauge({
      name: 'ortq_queue_jobs',
      help: 'jobs in each queue, by state (read from Redis on scrape)',
      labelNames: ['queue', 'state'],
      registers: [this.registry],
      async collect() {
        // a scrape while Redis is down fails with the error rather than reporting zeros
        const counts = await Promise.all(queues.map((q) =>
          q.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'waiting-children', 'completed', 'failed')));
        queues.forEach((q, i) => {
          const c = counts[i];
          for (const state of DASHBOARD_STATES) {
            const n = state === 'waiting' ? (c.waiting ?? 0) + (c.prioritized ?? 0) : c[state] ?? 0;
            this.set({ queue: q.name, state }, n);
          }
        });
      },
    });
    new Gauge({
      name: 'ortq_queue_workers',
      help: 'worker processes serving each queue (not their connections)',
      labelNames: ['queue'],
      registers: [this.registry],
      async collect() {
        const workers = await Promise.all(queues.map((q) => workerProcesses(q).catch(() => [])));
        queues.forEach((q, i) => this.set({ queue: q.name }, workers[i].length));
      },
    });
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
