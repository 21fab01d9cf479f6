import pino from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import type { DriftRunSummary, InputFingerprint } from '../../src/triggers/evaluate.js';
import { TriggerService, type TriggerDeps, type TriggerEvidence, type WatchedJob } from '../../src/triggers/service.js';
import { GuardsSchema, nameTriggers, TriggerSchema } from '../../src/triggers/spec.js';
import { TriggerStore } from '../../src/triggers/store.js';
import { useRedisServer } from '../helpers/redis-server.js';

const logger = pino({ level: 'silent' });

/** A fake world: predict runs with drift, input files, and an enqueue that records what it was asked. */
class World implements TriggerDeps {
  runs: DriftRunSummary[] = [];
  files: InputFingerprint[] = [];
  active = false;
  failNextEnqueue = false;
  enqueued: TriggerEvidence[] = [];
  async recentRuns(_model: string, n: number) { return this.runs.slice(0, n); }
  async fingerprint() { return this.files; }
  async trainingActive() { return this.active; }
  async enqueue(_job: WatchedJob, evidence: TriggerEvidence) {
    if (this.failNextEnqueue) {
      this.failNextEnqueue = false;
      throw new Error('killed before the run was enqueued');
    }
    this.enqueued.push(evidence);
    return { runId: `iris-retrain-${this.enqueued.length}`, outcome: 'enqueued' };
  }
  drifted(id: string, psi: number) {
    this.runs.unshift({ runId: id, finishedAt: new Date().toISOString(), drift: { features: { petal_length: { psi, js: 0.1 } }, outputs: {} } });
  }
}

function job(triggers: unknown[], guards: unknown = {}): WatchedJob {
  return {
    name: 'iris-retrain', file: '/jobs/iris-retrain.yaml', model: 'iris', alias: 'champion', rollback: null, champion: 'iris@champion', trainPath: '/data/train',
    guards: GuardsSchema.parse(guards), triggers: nameTriggers('iris-retrain', triggers.map((t) => TriggerSchema.parse(t))),
  };
}

describe('TriggerService (real redis-server)', () => {
  const server = useRedisServer();
  let prefix: string;
  beforeEach(() => {
    prefix = `t${Math.random().toString(36).slice(2, 8)}`;
  });
  const service = (w: World, j: WatchedJob) => new TriggerService(new TriggerStore(server.redis, prefix), [j], w, { logger, pollMs: 3_600_000 });

  it('fires a drift trigger after consecutiveRuns drifted runs, once, with evidence', async () => {
    const w = new World();
    const j = job([{ drift: { threshold: 0.2, consecutiveRuns: 2 } }]);
    const s = service(w, j);
    w.drifted('p1', 0.5);
    expect(await s.evaluate(j, j.triggers[0])).toMatchObject({ outcome: 'not-fired' });
    w.drifted('p2', 0.4);
    expect(await s.evaluate(j, j.triggers[0])).toMatchObject({ outcome: 'fired', runId: 'iris-retrain-1' });
    expect(await s.evaluate(j, j.triggers[0])).toMatchObject({ outcome: 'duplicate' });
    expect(w.enqueued).toHaveLength(1);
    expect(w.enqueued[0]).toMatchObject({ trigger: 'iris-retrain.drift', type: 'drift', details: { runs: [{ runId: 'p2' }, { runId: 'p1' }] } });
    const events = await new TriggerStore(server.redis, prefix).events();
    expect(events[0]).toMatchObject({ outcome: 'fired', runId: 'iris-retrain-1' });
  });

  it('fires a new-data trigger once per new fingerprint', async () => {
    const w = new World();
    const j = job([{ newData: { minNewRows: 10 } }]);
    const s = service(w, j);
    w.files = [{ path: '/data/train/a.parquet', digest: 'xxh3-64:00000000000000aa', rows: 100 }];
    expect(await s.evaluate(j, j.triggers[0])).toMatchObject({ outcome: 'fired' });
    expect(await s.evaluate(j, j.triggers[0])).toMatchObject({ outcome: 'not-fired' });
    w.files = [...w.files, { path: '/data/train/b.parquet', digest: 'xxh3-64:00000000000000bb', rows: 5 }];
    expect(await s.evaluate(j, j.triggers[0])).toMatchObject({ outcome: 'not-fired', summary: expect.stringContaining('5 new rows') });
    w.files = [...w.files, { path: '/data/train/c.parquet', digest: 'xxh3-64:00000000000000cc', rows: 50 }];
    expect(await s.evaluate(j, j.triggers[0])).toMatchObject({ outcome: 'fired' });
    expect(w.enqueued.map((e) => (e.details.files as unknown[]).length)).toEqual([1, 2]);
  });

  it('suppresses by cooldown and daily cap, records the reason once, and fires when the cooldown allows', async () => {
    const w = new World();
    const j = job([{ drift: { threshold: 0.2 } }], { cooldown: '6h', maxPerDay: 4 });
    const s = service(w, j);
    w.drifted('p1', 0.5);
    expect(await s.evaluate(j, j.triggers[0])).toMatchObject({ outcome: 'fired' });
    w.drifted('p2', 0.5);
    const sup = await s.evaluate(j, j.triggers[0]);
    expect(sup).toMatchObject({ outcome: 'suppressed', reason: expect.stringContaining('cooldown') });
    await s.evaluate(j, j.triggers[0]); // still suppressed: not recorded twice
    const store = new TriggerStore(server.redis, prefix);
    expect((await store.events()).filter((e) => e.outcome === 'suppressed')).toHaveLength(1);
    // daily cap: 4 firings in the last 24h already (no cooldown on this job)
    const capped = job([{ drift: { threshold: 0.2 } }], { maxPerDay: 1 });
    const s2 = new TriggerService(store, [capped], w, { logger });
    w.drifted('p3', 0.9);
    expect(await s2.evaluate(capped, capped.triggers[0])).toMatchObject({ outcome: 'suppressed', reason: expect.stringContaining('daily cap') });
    // a training already running holds every firing
    w.active = true;
    const free = job([{ drift: { threshold: 0.2 } }], { maxPerDay: 100 });
    const s3 = new TriggerService(store, [free], w, { logger });
    expect(await s3.evaluate(free, free.triggers[0])).toMatchObject({ outcome: 'suppressed', reason: expect.stringContaining('already queued or running') });
    expect(w.enqueued).toHaveLength(1);
  });

  it('two schedulers side by side fire each event once', async () => {
    const w = new World();
    const j = job([{ drift: { threshold: 0.2 } }, { newData: {} }]);
    const a = service(w, j);
    const b = service(w, j);
    w.drifted('p1', 0.5);
    w.files = [{ path: '/data/train/a.parquet', digest: 'xxh3-64:00000000000000aa', rows: 100 }];
    await Promise.all([a.evaluateAll(), b.evaluateAll(), a.evaluateAll(), b.evaluateAll()]);
    expect(w.enqueued.map((e) => e.type).sort()).toEqual(['drift', 'newData']);
  });

  it('a scheduler killed between claim and enqueue re-drives the firing on restart, once', async () => {
    const w = new World();
    const j = job([{ drift: { threshold: 0.2 } }]);
    w.drifted('p1', 0.5);
    w.failNextEnqueue = true;
    expect(await service(w, j).evaluate(j, j.triggers[0])).toMatchObject({ outcome: 'error' });
    expect(w.enqueued).toHaveLength(0);
    const restarted = service(w, j);
    await restarted.start();
    await restarted.stop();
    expect(w.enqueued).toHaveLength(1);
    const again = service(w, j);
    await again.start(); // nothing pending, the event is claimed: no repeat
    await again.stop();
    expect(w.enqueued).toHaveLength(1);
  });

  it('manual firings respect one training at a time', async () => {
    const w = new World();
    const j = job([]);
    const s = service(w, j);
    expect(await s.fireManual(j, 'new labels arrived')).toMatchObject({ outcome: 'fired' });
    expect(w.enqueued[0]).toMatchObject({ type: 'manual', reason: 'new labels arrived' });
    w.active = true;
    expect(await s.fireManual(j, 'again')).toMatchObject({ outcome: 'suppressed' });
  });
});
