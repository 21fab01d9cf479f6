import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startDashboard, type Dashboard } from '../../src/queue/dashboard.js';
import { QueueClient } from '../../src/queue/queue-client.js';
import { ModelRepository } from '../../src/repo/model-repository.js';
import { RedisServer } from '../helpers/redis-server.js';
import { fixtureEnv, ortq, startWorker, stopProc, until, type Proc, type QueueFixture } from './fixtures.js';

/**
 * `kind: train` through the queue: real redis-server, two `ortq worker`
 * processes, built-in trainers on the breast-cancer data set, onnxruntime
 * scoring candidate and champion. The fit takes several seconds, longer
 * than the lock duration the workers run with (1.5 s), so the tests also
 * show the BullMQ lock being renewed through a long fit.
 */

const DATA = new URL('../fixtures/datasets/breast_cancer.csv', import.meta.url);
const LOCK_MS = 1500;

let server: RedisServer;
const procs: Proc[] = [];
const clients: QueueClient[] = [];
const dashboards: Dashboard[] = [];
const dirs: string[] = [];

beforeAll(async () => { server = await RedisServer.start(); });
afterAll(async () => {
  await Promise.all(procs.map((p) => stopProc(p, 'SIGKILL')));
  await Promise.all(dashboards.map((d) => d.close()));
  await Promise.all(clients.map((c) => c.close()));
  await server?.destroy();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface TrainFixture extends QueueFixture {
  /** writes a train job file for model `bc` and returns its path */
  job(name: string, over?: Record<string, unknown>): string;
}

/**
 * A working directory: breast_cancer.csv split into train (4 of 5 rows,
 * repeated `repeat` times so that a gbdt fit lasts a few seconds) and eval
 * (every 5th row), a model repository, ORTQ_HOME, and an env pointing at
 * the test's Redis with a prefix of its own.
 */
function makeTrainFixture(repeat: number, rounds = 200): TrainFixture {
  const dir = mkdtempSync(join(tmpdir(), 'ortq-trainq-'));
  dirs.push(dir);
  const [header, ...rows] = readFileSync(DATA, 'utf8').trimEnd().split('\n');
  mkdirSync(join(dir, 'data'));
  const train = rows.filter((_, i) => i % 5 !== 0);
  writeFileSync(join(dir, 'data', 'train.csv'), [header, ...Array.from({ length: repeat }, () => train).flat()].join('\n') + '\n');
  writeFileSync(join(dir, 'data', 'eval.csv'), [header, ...rows.filter((_, i) => i % 5 === 0)].join('\n') + '\n');
  const features = header.split(',').slice(0, -1);
  const env = fixtureEnv(dir, server.url, { ORTQ_LOCK_DURATION_MS: String(LOCK_MS), ORTQ_STALLED_INTERVAL_MS: '500', ORTQ_WORKER_QUEUES: 'predict,train' });
  const repo = new ModelRepository({ root: join(dir, 'repo'), logger: createLogger({ level: 'silent' }) });
  const job = (name: string, over: Record<string, unknown> = {}) => {
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, stringify({
      kind: 'train', name, model: 'bc', champion: 'bc@champion',
      data: { train: { path: 'data/train.csv' }, eval: { path: 'data/eval.csv' } },
      features: { input: features }, label: 'malignant', task: 'classification',
      trainer: { builtin: 'gbdt' }, hyperparameters: { maxIter: rounds, maxDepth: 6, minSamplesLeaf: 5 }, seed: 7,
      evaluate: { metrics: ['accuracy', 'log_loss'], thresholds: { accuracy: { min: 0.8, maxRegression: 0.5 } }, noChampion: 'bless' },
      promote: 'auto', alias: 'champion',
      ...over,
    }));
    return file;
  };
  return { dir, env, repo, jobFile: job('bc-retrain'), rows: 0, job };
}

async function worker(fx: QueueFixture): Promise<Proc> {
  const p = await startWorker(fx);
  procs.push(p);
  return p;
}

/** A dashboard on the fixture's Redis and prefix: the run and training metrics are counted in Redis and served there. */
async function dashboard(fx: QueueFixture): Promise<() => Promise<string>> {
  const d = await startDashboard({ config: { redis: { url: server.url, prefix: fx.env.ORTQ_REDIS_PREFIX! } }, port: 0, logger: createLogger({ level: 'silent' }) });
  dashboards.push(d);
  return async () => (await fetch(new URL('/metrics', d.url))).text();
}

/** A sample's value in one scrape; absent: NaN. */
function sample(text: string, line: string): number {
  const l = text.split('\n').find((x) => x.startsWith(`${line} `));
  return l === undefined ? NaN : Number(l.slice(line.length + 1));
}

async function client(fx: QueueFixture): Promise<QueueClient> {
  const qc = await QueueClient.open(loadConfig({ env: fx.env, cwd: fx.dir }));
  clients.push(qc);
  return qc;
}

async function run(fx: QueueFixture, args: string[]): Promise<Record<string, any>> {
  const p = ortq(fx, args);
  expect(await p.exit, p.err()).toBe(0);
  return JSON.parse(p.out());
}

/** [first step started, last step finished] of a run, from its step receipts. */
function span(runDir: string): [number, number] {
  const dir = join(runDir, '_shards');
  const receipts = readdirSync(dir).filter((n) => n.endsWith('.json')).map((n) => JSON.parse(readFileSync(join(dir, n), 'utf8')));
  expect(receipts).toHaveLength(6);
  return [Math.min(...receipts.map((r) => Date.parse(r.startedAt))), Math.max(...receipts.map((r) => Date.parse(r.finishedAt)))];
}

describe('train runs through the train queue (real redis-server, two workers, built-in gbdt, onnxruntime)', () => {
  it('one run, one registered version, the alias moved; the same job again is a no-op; status and runs list show the verdict', async () => {
    // rows and rounds enough that the fit outlasts the 1.5 s lock (about 3.7 s on a quiet 2-core machine;
    // 100 copies and 200 rounds took 1.2 s there once the gbdt trainer got faster, and proved nothing)
    const fx = makeTrainFixture(100, 600);
    const qc = await client(fx);
    const ws = await Promise.all([worker(fx), worker(fx)]);
    const metrics = await dashboard(fx);
    const s = await run(fx, ['enqueue', fx.jobFile, '--wait', '--json']);
    expect(s).toMatchObject({ kind: 'train', status: 'completed', outcome: 'enqueued', verdict: 'blessed', promoted: true, alias: 'bc@champion', champion: null });
    expect(s.candidate).toMatch(/^bc:/);
    expect(s.metrics.candidate.accuracy).toBeGreaterThan(0.8);
    expect(s.reasons.length).toBeGreaterThan(0);
    const versions = await fx.repo.versions('bc');
    expect(versions).toHaveLength(1);
    expect((await fx.repo.resolve('bc@champion')).tag).toBe(s.candidate);

    // the fit outlasted the lock duration, and its lock was renewed: no stall, one attempt
    const trainStep = (await qc.queue('train').getJob(`${s.runId}-train`))!;
    const receipt = JSON.parse(readFileSync(join(s.runDir, '_shards', 'train.json'), 'utf8'));
    expect(receipt.detail.durationMs).toBeGreaterThan(LOCK_MS);
    expect(trainStep.stalledCounter).toBe(0);
    expect(trainStep.attemptsStarted).toBe(1);

    const again = await run(fx, ['enqueue', fx.jobFile, '--json']);
    expect(again).toMatchObject({ runId: s.runId, outcome: 'existing', reused: true, candidate: s.candidate, verdict: 'blessed' });
    expect(await fx.repo.versions('bc')).toHaveLength(1);

    const st = await run(fx, ['status', '--json']);
    expect(st.runs[0]).toMatchObject({ runId: s.runId, kind: 'train', status: 'completed' });
    expect(st.runs[0].summary).toContain(`${s.candidate} blessed`);
    const list = await run(fx, ['runs', 'list', '--kind', 'train', '--json']);
    expect(list.find((r: any) => r.runId === s.runId)).toMatchObject({ kind: 'train', status: 'completed', summary: st.runs[0].summary });
    const shown = await run(fx, ['runs', 'show', s.runId]);
    expect(shown).toMatchObject({ kind: 'train', verdict: 'blessed', promoted: true, mode: 'queue' });

    // --require-blessed on enqueue --wait: a blessed run passes; a rejected candidate exits 1 with its summary printed
    expect((await run(fx, ['enqueue', fx.jobFile, '--wait', '--require-blessed', '--json'])).verdict).toBe('blessed');
    const strict = ortq(fx, ['enqueue', fx.job('bc-strict', {
      trainer: { builtin: 'logistic' }, hyperparameters: { maxIter: 100 },
      evaluate: { metrics: ['accuracy'], thresholds: { accuracy: { min: 0.9999 } }, noChampion: 'bless' },
    }), '--wait', '--require-blessed', '--json']);
    expect(await strict.exit, strict.err()).toBe(1);
    expect(JSON.parse(strict.out())).toMatchObject({ status: 'completed', verdict: 'rejected', promoted: false });
    expect(strict.err()).toContain('verdict is rejected, not blessed (--require-blessed)');
    const noWait = ortq(fx, ['enqueue', fx.jobFile, '--require-blessed']);
    expect(await noWait.exit).toBe(2);
    expect(noWait.err()).toContain('--require-blessed needs --wait');
    const bogus = ortq(fx, ['runs', 'list', '--kind', 'bogus']);
    expect(await bogus.exit).toBe(2);
    expect(bogus.err()).toContain('--kind: unknown job kind "bogus" (known: predict, train)');

    // the workers' log lines say "step", name the step and the model trained
    const lines = ws.flatMap((w) => w.err().split('\n')).filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    expect(lines.find((l) => l.msg === 'step done' && l.step === 'train' && l.runId === s.runId)).toMatchObject({ model: 'bc' });
    expect(lines.some((l) => /^shard /.test(l.msg))).toBe(false);
    // the run record names the model trained
    expect((await qc.store.get(s.runId))?.model).toBe('bc');
    // counted once in Redis by whichever worker closed the record; the no-op re-enqueue counted nothing
    const scraped = await metrics();
    expect(sample(scraped, 'ortq_train_runs_total{model="bc",verdict="blessed"}')).toBe(1);
    expect(sample(scraped, 'ortq_promotions_total{model="bc"}')).toBe(1);
    expect(sample(scraped, 'ortq_train_duration_seconds_count{model="bc"}')).toBe(2);
    expect(sample(scraped, 'ortq_train_duration_seconds_sum{model="bc"}')).toBeGreaterThan(LOCK_MS / 1000);
    expect(sample(scraped, 'ortq_train_runs_total{model="bc",verdict="rejected"}')).toBe(1);
    expect(sample(scraped, 'ortq_runs_total{kind="train",status="completed"}')).toBe(2);
  }, 120_000);

  it('two train jobs of the same model never train at once: the second waits, then is evaluated against the first one\'s candidate', async () => {
    const fx = makeTrainFixture(10);
    const qc = await client(fx);
    await Promise.all([worker(fx), worker(fx)]);
    const a = await run(fx, ['enqueue', fx.job('bc-a'), '--json']);
    const b = await run(fx, ['enqueue', fx.job('bc-b', { seed: 8 }), '--json']);
    expect(a.runId).not.toBe(b.runId);
    for (const id of [a.runId, b.runId]) await until(async () => (await qc.store.get(id))?.status === 'completed', 90_000, `run ${id}`);
    const [sa, sb] = [span(a.runDir), span(b.runDir)];
    const [first, second] = sa[0] < sb[0] ? [sa, sb] : [sb, sa];
    expect(first[1]).toBeLessThanOrEqual(second[0]);
    const ma = JSON.parse(readFileSync(join(a.runDir, 'run.json'), 'utf8'));
    const mb = JSON.parse(readFileSync(join(b.runDir, 'run.json'), 'utf8'));
    const [early, late] = sa[0] < sb[0] ? [ma, mb] : [mb, ma];
    expect(late.champion.tag).toBe(early.candidate.tag);
    expect(await fx.repo.versions('bc')).toHaveLength(2);
  }, 150_000);

  it('a worker SIGKILLed mid-training: the other retries the step under the same run id, one version, one promotion', async () => {
    const fx = makeTrainFixture(30);
    const qc = await client(fx);
    const workers = await Promise.all([worker(fx), worker(fx)]);
    const e = await run(fx, ['enqueue', fx.jobFile, '--json']);
    const stepId = `${e.runId}-train`;
    let holder = '';
    await until(async () => {
      const j = await qc.queue('train').getJob(stepId);
      holder = (await j?.getState()) === 'active' ? j?.processedBy ?? '' : '';
      return holder !== '';
    }, 60_000, 'train step active');
    // a moment into the fit (the data is read, the thread fits), then the worker dies
    await new Promise((r) => setTimeout(r, 1000));
    const victim = workers.find((w) => holder.endsWith(`-${w.child.pid}`))!;
    expect(victim).toBeDefined();
    victim.child.kill('SIGKILL');
    await victim.exit;
    await until(async () => (await qc.store.get(e.runId))?.status === 'completed', 120_000, 'run completion');
    const survivor = workers.find((w) => w !== victim)!;
    // the finalizer closes the run record first and logs after it: wait for the line, do not race it
    await until(() => survivor.err().includes('run completed'), 10_000, 'the survivor\'s "run completed" line');
    const m = JSON.parse(readFileSync(join(e.runDir, 'run.json'), 'utf8'));
    expect(m).toMatchObject({ runId: e.runId, status: 'completed', verdict: 'blessed', promoted: true });
    expect(await fx.repo.versions('bc')).toHaveLength(1);
    expect((await fx.repo.resolve('bc@champion')).tag).toBe(m.candidate.tag);
    expect((await fx.repo.aliases('bc')).history.filter((h) => h.trainRun)).toHaveLength(1);
    const trainStep = (await qc.queue('train').getJob(stepId))!;
    expect(trainStep.processedBy).not.toBe(holder);
  }, 180_000);
});
