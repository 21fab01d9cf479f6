import { Counter, Histogram, type Registry } from 'prom-client';
import type { RunManifestBase } from '../kinds/types.js';

/** The fields of a train run's manifest these metrics read (src/kinds/train/manifest.ts writes them). */
interface TrainOutcome {
  status: RunManifestBase['status'];
  durationMs: number;
  verdict?: string | null;
  promoted?: boolean;
  job: { name: string; spec: unknown };
}

/**
 * Training metrics of a worker process, on its registry (served on
 * `metrics.port`), counted when the worker finalizes a train run:
 * - `ortq_train_runs_total{model,verdict}`: finished training runs; a failed
 *   run counts under `verdict="failed"`;
 * - `ortq_train_duration_seconds{model}`: a training run's wall time, first step to manifest;
 * - `ortq_promotions_total{model}`: aliases moved by a training run (`promote: auto`).
 * The champion itself (`ortq_champion_info`) is read from the repository by the dashboard.
 */
export class TrainMetrics {
  readonly runs: Counter<'model' | 'verdict'>;
  readonly duration: Histogram<'model'>;
  readonly promotions: Counter<'model'>;

  constructor(registry: Registry) {
    this.runs = new Counter({ name: 'ortq_train_runs_total', help: 'training runs finished, by model and verdict (failed: the run failed)', labelNames: ['model', 'verdict'], registers: [registry] });
    this.duration = new Histogram({
      name: 'ortq_train_duration_seconds', help: 'wall time of a training run, first step to manifest', labelNames: ['model'],
      buckets: [1, 5, 15, 60, 300, 900, 3600, 4 * 3600], registers: [registry],
    });
    this.promotions = new Counter({ name: 'ortq_promotions_total', help: 'aliases moved to a candidate by a training run', labelNames: ['model'], registers: [registry] });
  }

  /** Counts one finished run; manifests of other kinds are ignored. */
  record(m: RunManifestBase): void {
    if (m.kind !== 'train') return;
    const t = m as RunManifestBase & TrainOutcome;
    const model = String((t.job.spec as { model?: unknown } | null)?.model ?? t.job.name);
    const verdict = t.status === 'completed' ? String(t.verdict ?? 'none') : 'failed';
    this.runs.inc({ model, verdict });
    this.duration.observe({ model }, t.durationMs / 1000);
    if (t.status === 'completed' && t.promoted) this.promotions.inc({ model });
  }
}
