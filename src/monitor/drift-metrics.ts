/**
 * Prometheus gauges of the latest drift per model:
 * `ortq_feature_drift{model,feature,stat}` and
 * `ortq_prediction_drift{model,output,stat}`, stat = psi | js. A worker (or
 * the scheduler) calls `observe` with each finished run's drift section; a
 * run without drift figures leaves the model's gauges as they were.
 */
import { Gauge, type Registry } from 'prom-client';
import type { RunDrift } from './drift-report.js';

export class DriftGauges {
  readonly features: Gauge<'model' | 'feature' | 'stat'>;
  readonly outputs: Gauge<'model' | 'output' | 'stat'>;

  constructor(registry: Registry) {
    this.features = new Gauge({
      name: 'ortq_feature_drift', help: 'drift of an input column in the latest predict run vs the model version\'s reference profile (psi, or js: Jensen–Shannon distance, base 2)',
      labelNames: ['model', 'feature', 'stat'], registers: [registry],
    });
    this.outputs = new Gauge({
      name: 'ortq_prediction_drift', help: 'drift of a model output column in the latest predict run vs the reference profile (psi, or js: Jensen–Shannon distance, base 2)',
      labelNames: ['model', 'output', 'stat'], registers: [registry],
    });
  }

  /** Sets the gauges of `model` (a model name: versions share gauges, so an alias move shows as a change) from one run's drift. */
  observe(model: string, drift: RunDrift | null | undefined): void {
    if (!drift || drift.status !== 'computed') return;
    for (const [feature, d] of Object.entries(drift.features)) {
      if (d.psi !== null) this.features.set({ model, feature, stat: 'psi' }, d.psi);
      if (d.js !== null) this.features.set({ model, feature, stat: 'js' }, d.js);
    }
    for (const [output, d] of Object.entries(drift.outputs)) {
      if (d.psi !== null) this.outputs.set({ model, output, stat: 'psi' }, d.psi);
      if (d.js !== null) this.outputs.set({ model, output, stat: 'js' }, d.js);
    }
  }
}
