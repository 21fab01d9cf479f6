import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { DriftGauges } from '../../src/monitor/drift-metrics.js';
import type { DriftReport } from '../../src/monitor/drift-report.js';

describe('drift gauges', () => {
  it('exports ortq_feature_drift and ortq_prediction_drift per model, column and stat', async () => {
    const registry = new Registry();
    const g = new DriftGauges(registry);
    const col = (psi: number | null, js: number | null) => ({ psi, js, count: 10, nullRate: 0, referenceNullRate: 0 });
    g.observe('iris', { status: 'computed', features: { petal_length: col(1.25, 0.5) }, outputs: { 'probabilities:class': col(0.3, null) } } as unknown as DriftReport);
    g.observe('iris', { status: 'skipped', reason: 'no profile' });
    const text = await registry.metrics();
    expect(text).toContain('ortq_feature_drift{model="iris",feature="petal_length",stat="psi"} 1.25');
    expect(text).toContain('ortq_feature_drift{model="iris",feature="petal_length",stat="js"} 0.5');
    expect(text).toContain('ortq_prediction_drift{model="iris",output="probabilities:class",stat="psi"} 0.3');
    expect(text).not.toContain('output="probabilities:class",stat="js"');
  });
});
