import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { registerProcessMetrics } from './process-metrics.js';

/**
 * Prometheus metrics of one worker process, served on `metrics.port` when set:
 * what this process did (shards, rows, shard time) and its process metrics.
 * Run-level metrics (`ortq_runs_total`, the training metrics
 * `ortq_train_runs_total`, …) are not here: they are recorded in Redis when a
 * run finishes and exported by the dashboard (run-metrics.ts), so that any
 * number of workers give one correct count.
 */
export class WorkerMetrics {
  readonly registry = new Registry();
  readonly shards = new Counter({ name: 'ortq_shards_total', help: 'shards finished, by queue and outcome', labelNames: ['queue', 'outcome'], registers: [this.registry] });
  readonly rows = new Counter({ name: 'ortq_rows_total', help: 'input rows scored', labelNames: ['queue'], registers: [this.registry] });
  readonly shardSeconds = new Histogram({
    name: 'ortq_shard_duration_seconds', help: 'wall time per shard', labelNames: ['queue'],
    buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 1800], registers: [this.registry],
  });
  readonly active = new Gauge({ name: 'ortq_shards_active', help: 'shards in progress', labelNames: ['queue'], registers: [this.registry] });
  private server: Server | null = null;

  constructor() {
    registerProcessMetrics(this.registry);
  }

  /** Serves GET /metrics; port 0 means off. Resolves with the bound port. */
  async listen(port: number): Promise<number | null> {
    if (!port) return null;
    this.server = createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      this.registry.metrics().then(
        (body) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(body),
        (err: Error) => res.writeHead(500).end(err.message),
      );
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, resolve);
    });
    const addr = this.server.address();
    return typeof addr === 'object' && addr ? addr.port : port;
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
