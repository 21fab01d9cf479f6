import { describe, expect, it } from 'vitest';
import { evaluateDrift, evaluateNewData, type DriftRunSummary } from '../../src/triggers/evaluate.js';
import { GuardsSchema, nameTriggers, TriggerSchema } from '../../src/triggers/spec.js';
import { parseDuration } from '../../src/kinds/train/duration.js';

const drift = (consecutiveRuns: number) =>
  nameTriggers('iris-retrain', [TriggerSchema.parse({ drift: { stat: 'psi', threshold: 0.2, consecutiveRuns, model: 'iris@champion' } })])[0];

const run = (id: string, psi: number): DriftRunSummary => ({
  runId: id, finishedAt: '2026-12-01T00:00:00Z',
  drift: { features: { petal_length: { psi, js: psi / 2 }, sepal_width: { psi: 0.01, js: 0.005 } }, outputs: {} },
});

describe('drift trigger', () => {
  it('fires after consecutiveRuns drifted runs and not before', () => {
    const t = drift(2);
    expect(evaluateDrift(t, [run('r1', 0.5)]).fire).toBe(false); // one run so far
    expect(evaluateDrift(t, [run('r2', 0.5), run('r1', 0.05)]).fire).toBe(false); // streak of 1
    const ev = evaluateDrift(t, [run('r3', 0.6), run('r2', 0.5), run('r1', 0.05)]);
    expect(ev.fire).toBe(true);
    if (!ev.fire) return;
    expect(ev.summary).toContain('petal_length');
    expect((ev.evidence.runs as Array<{ runId: string }>).map((r) => r.runId)).toEqual(['r3', 'r2']);
    // the same window is the same event; the next drifted run is a new one
    expect(evaluateDrift(t, [run('r3', 0.6), run('r2', 0.5)])).toMatchObject({ eventId: ev.eventId });
    expect(evaluateDrift(t, [run('r4', 0.6), run('r3', 0.6)])).not.toMatchObject({ eventId: ev.eventId });
  });

  it('counts only the listed features, and never fires without a profile', () => {
    const t = nameTriggers('j', [TriggerSchema.parse({ drift: { threshold: 0.2, features: ['sepal_width'] } })])[0];
    expect(evaluateDrift(t, [run('r1', 0.9)]).fire).toBe(false);
    const none: DriftRunSummary = { runId: 'r1', finishedAt: '', drift: null };
    expect(evaluateDrift(drift(1), [none])).toMatchObject({ fire: false, summary: expect.stringContaining('no reference profile') });
  });
});

describe('new-data trigger', () => {
  const t = nameTriggers('j', [TriggerSchema.parse({ newData: { minNewRows: 100 } })])[0];
  const a = { path: '/d/a.parquet', digest: 'xxh3-64:00000000000000aa', rows: 1000 };
  const b = { path: '/d/b.parquet', digest: 'xxh3-64:00000000000000bb', rows: 50 };
  const c = { path: '/d/c.parquet', digest: 'xxh3-64:00000000000000cc', rows: 500 };

  it('fires on first sight, then once per new fingerprint with enough new rows', () => {
    const first = evaluateNewData(t, [a], null);
    expect(first.fire).toBe(true);
    expect(evaluateNewData(t, [a], [a])).toMatchObject({ fire: false, summary: expect.stringContaining('unchanged') });
    expect(evaluateNewData(t, [a, b], [a])).toMatchObject({ fire: false, summary: expect.stringContaining('50 new rows') });
    const second = evaluateNewData(t, [a, b, c], [a]);
    expect(second).toMatchObject({ fire: true, evidence: { newRows: 550, files: [b, c] } });
    if (first.fire && second.fire) expect(second.eventId).not.toBe(first.eventId);
  });
});

describe('trigger spec', () => {
  it('names triggers per job and parses guards', () => {
    const named = nameTriggers('iris', [
      TriggerSchema.parse({ cron: '0 3 * * 0' }),
      TriggerSchema.parse({ drift: { threshold: 0.2 } }),
      TriggerSchema.parse({ drift: { threshold: 0.3 } }),
    ]);
    expect(named.map((n) => n.name)).toEqual(['iris.cron', 'iris.drift-1', 'iris.drift-2']);
    expect(GuardsSchema.parse({ cooldown: '6h', maxPerDay: 4 })).toEqual({ cooldown: 6 * 3600_000, maxPerDay: 4 });
    expect(GuardsSchema.safeParse({ cooldown: '6 hours' }).success).toBe(false);
    expect(parseDuration('30m')).toBe(1_800_000);
    expect(parseDuration('3s')).toBe(3000);
    expect(parseDuration('2x')).toBeNull();
  });
});
