import { appendFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { TrainPlan } from '../../src/kinds/train/types.js';
import { QueueClient } from '../../src/queue/queue-client.js';
import { liveTriggerDeps } from '../../src/queue/scheduler/trigger-deps.js';
import { loadTriggerJobs } from '../../src/queue/scheduler/trigger-jobs.js';
import { readPlan } from '../../src/runs/store.js';
import { TriggerService, type TriggerDeps, type WatchedJob } from '../../src/triggers/service.js';
import { TriggerStore } from '../../src/triggers/store.js';
import { RedisServer } from '../helpers/redis-server.js';
import { LoopScratch, silent } from './loop-fixtures.js';

/**
 * The scheduler's trigger service with its live dependencies: real
 * prediction runs (onnxruntime, files, the run ledger) with drift against the
 * champion's profile written by its training run, input fingerprints, train
 * runs enqueued in a real redis-server.
 */
describe('retraining triggers through the scheduler (real redis-server, onnxruntime, files)', () => {
  let srv: RedisServer;
  let s: LoopScratch;
  let qc: QueueClient | null = null;
  let n = 0;
  beforeAll(async () => {
    srv = await RedisServer.start();
  });
  afterAll(async () => {
    await srv.destroy();
  });
  afterEach(async () => {
    await qc?.close();
    qc = null;
    s?.cleanup();
  });

  async function world(jobOver: Record<string, unknown>, opts: { deps?: (d: TriggerDeps) => TriggerDeps } = {}) {
    const config = loadConfig({ env: { ...process.env, REDIS_URL: srv.url, ORTQ_REDIS_PREFIX: `loop${++n}` } });
    qc = await QueueClient.open(config);
    const file = s.jobFile('retrain.yaml', { seed: 8, ...jobOver });
    const jobs = await loadTriggerJobs([{ job: file, triggers: [] }], s.dir);
    const store = new TriggerStore(qc.redis, qc.conn.prefix);
    const live = liveTriggerDeps(qc, { config, repo: s.repo, logger: silent, baseDir: s.dir });
    const service = () => new TriggerService(store, jobs, opts.deps ? opts.deps(live) : live, { logger: silent, pollMs: 3_600_000, repo: s.repo });
    return { job: jobs[0] as WatchedJob, store, service, qc: qc! };
  }

  const drift = ([a, b, c, d]: number[]) => [a + 2, b, c + 4, d + 2];

  it('a drift trigger fires after consecutiveRuns drifted runs and not before; the evidence reaches the plan, the run manifest and the lineage; one training at a time', async () => {
    s = new LoopScratch();
    const first = await s.run(await s.job());
    const profile = await s.repo.profile('iris@champion');
    expect(profile).not.toBeNull();
    expect(Object.keys(profile!.profile.outputs).length).toBeGreaterThan(0);
    expect(Object.keys(profile!.profile.features).sort()).toEqual(['petal_length', 'petal_width', 'sepal_length', 'sepal_width']);
    expect(profile!.profile.model).toMatchObject({ name: 'iris', version: first.manifest.candidate!.version });

    const w = await world({ triggers: [{ drift: { threshold: 0.2, consecutiveRuns: 2 } }] });
    const svc = w.service();
    await s.predict(s.inputs('ok.csv'));
    await svc.evaluateAll();
    const driftedInput = s.inputs('drifted.csv', drift);
    const d1 = await s.predict(driftedInput);
    expect(d1.drift?.status).toBe('computed');
    await svc.evaluateAll();
    expect((await w.store.state('iris-retrain.drift')).lastSummary).toMatch(/^1 of 2 consecutive runs drifted/);
    expect(await w.store.events()).toEqual([]);
    const d2 = await s.predict(driftedInput);
    await svc.evaluateAll();
    const fired = (await w.store.events()).filter((e) => e.outcome === 'fired');
    expect(fired).toHaveLength(1);
    expect(fired[0]).toMatchObject({ trigger: 'iris-retrain.drift', enqueue: 'enqueued' });
    const rec = await w.qc.store.get(fired[0].runId!);
    expect(rec).toMatchObject({ kind: 'train', status: 'queued' });
    const plan = await readPlan<TrainPlan & { runDir: string }>(rec!.runDir);
    expect(plan.job.evidence).toMatchObject({ trigger: 'iris-retrain.drift', type: 'drift', details: { runs: [{ runId: d2.runId }, { runId: d1.runId }] } });

    // the training is queued: the next drifted run's firing is suppressed, with the reason
    await s.predict(driftedInput);
    await svc.evaluateAll();
    const suppressed = (await w.store.events()).find((e) => e.outcome === 'suppressed');
    expect(suppressed?.reason).toContain('already queued or running');

    // the plan's job (evidence included) trained: the manifest and the candidate's lineage carry the evidence
    const r = await s.run(plan.job);
    expect(r.plan.runId).toBe(plan.runId);
    expect(r.manifest.evidence).toMatchObject({ trigger: 'iris-retrain.drift', eventId: fired[0].eventId });
    const cand = await s.repo.resolve(r.manifest.candidate!.tag);
    expect(cand.manifest.lineage).toMatchObject({ trigger: { trigger: 'iris-retrain.drift', type: 'drift' } });
    // …and `ortq models lineage` shows it
    const { lineageChain } = await import('../../src/kinds/train/lineage.js');
    expect((await lineageChain(s.repo, cand.tag))[0].trigger).toMatchObject({ trigger: 'iris-retrain.drift', type: 'drift', eventId: fired[0].eventId });
  });

  it('new data fires once per fingerprint; two schedulers fire once; a restart neither loses nor repeats', async () => {
    s = new LoopScratch();
    let failNext = false;
    const w = await world({ triggers: [{ newData: {} }] }, {
      deps: (d) => ({ ...d, enqueue: async (job, ev) => {
        if (failNext) {
          failNext = false;
          throw new Error('killed before the run was enqueued');
        }
        return d.enqueue(job, ev);
      } }),
    });
    const a = w.service();
    const b = w.service();
    await Promise.all([a.evaluateAll(), b.evaluateAll()]);
    let fired = (await w.store.events()).filter((e) => e.outcome === 'fired');
    expect(fired).toHaveLength(1);
    await w.qc.store.finish(fired[0].runId!, 'completed', []);
    await a.evaluateAll();
    expect((await w.store.state('iris-retrain.newData')).lastSummary).toBe('input unchanged since the last firing');
    // a restarted scheduler does not fire the same fingerprint again
    const c = w.service();
    await c.start();
    await c.stop();
    expect((await w.store.events()).filter((e) => e.outcome === 'fired')).toHaveLength(1);

    // new rows: a new fingerprint fires once more, with the changed file as evidence; killed before enqueue, re-driven on restart
    appendFileSync(`${s.dir}/data/train.csv`, '5.0,3.4,1.5,0.2,setosa\n6.3,2.9,5.6,1.8,virginica\n');
    failNext = true;
    expect(await a.evaluate(w.job, w.job.triggers[0])).toMatchObject({ outcome: 'error' });
    expect(await w.store.pending()).toHaveLength(1);
    const d = w.service();
    await d.start();
    await d.stop();
    fired = (await w.store.events()).filter((e) => e.outcome === 'fired');
    expect(fired).toHaveLength(2);
    expect(fired[0].runId).not.toBe(fired[1].runId);
    expect(await w.store.pending()).toHaveLength(0);
    const plan = await readPlan<TrainPlan & { runDir: string }>((await w.qc.store.get(fired[0].runId!))!.runDir);
    expect(plan.job.evidence).toMatchObject({ type: 'newData', details: { files: [{ path: `${s.dir}/data/train.csv` }] } });
    await w.qc.store.finish(fired[0].runId!, 'completed', []);
    const e = w.service();
    await e.start();
    await e.stop();
    expect((await w.store.events()).filter((x) => x.outcome === 'fired')).toHaveLength(2);
  });

  it('cooldown and the daily cap suppress firings (manual ones too), each recorded once with its reason', async () => {
    s = new LoopScratch();
    const w = await world({ guards: { cooldown: '6h', maxPerDay: 4 } });
    const svc = w.service();
    const one = await svc.fireManual(w.job, 'new labels arrived');
    expect(one).toMatchObject({ outcome: 'fired' });
    const runId = (one as { runId: string }).runId;
    const two = await svc.fireManual(w.job, 'again');
    expect(two).toMatchObject({ outcome: 'suppressed', reason: expect.stringContaining('already queued or running') });
    await w.qc.store.finish(runId, 'completed', []);
    const three = await svc.fireManual(w.job, 'and again');
    expect(three).toMatchObject({ outcome: 'suppressed', reason: expect.stringMatching(/^cooldown: last firing \d+s ago, cooldown 21600s$/) });
    // another job of the same model with a cap of one firing a day
    const capped = { ...w.job, name: 'iris-retrain-b', guards: { cooldown: 0, maxPerDay: 1 } };
    const four = await svc.fireManual(capped, 'capped');
    expect(four).toMatchObject({ outcome: 'suppressed', reason: 'daily cap: 1 firings in the last 24h, maxPerDay 1' });
    const events = await w.store.events();
    expect(events.map((e) => e.outcome)).toEqual(['suppressed', 'suppressed', 'suppressed', 'fired']);
    expect(events[0]).toMatchObject({ trigger: 'iris-retrain-b.manual', evidence: { reason: 'capped' } });
    expect(events[3]).toMatchObject({ type: 'manual', runId, evidence: { reason: 'new labels arrived' } });
  });
});
