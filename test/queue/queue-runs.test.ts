import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { parseJob } from '../../src/predict/job-spec.js';
import { runLocal } from '../../src/predict/local-run.js';
import { readReceipts, readRunManifest } from '../../src/runs/store.js';
import { QueueClient } from '../../src/queue/queue-client.js';
import { queueStatus } from '../../src/queue/status.js';
import { readRunRows } from '../helpers/datasets.js';
import { RedisServer } from '../helpers/redis-server.js';
import { featureCols, makeFixture as makeQueueFixture, ortq, startWorker, stopProc, until, type Proc, type QueueFixture } from './fixtures.js';

let server: RedisServer;
const procs: Proc[] = [];
const clients: QueueClient[] = [];

const dirs: string[] = [];
const savedHome = process.env.ORTQ_HOME;

beforeAll(async () => {
  server = await RedisServer.start();
  // runLocal here keeps its ledger and fingerprint cache in this file's temp dir, not the project's ./.ortq
  const home = await mkdtemp(join(tmpdir(), 'ortq-qhome-'));
  dirs.push(home);
  process.env.ORTQ_HOME = home;
});
afterAll(async () => {
  await Promise.all(procs.map((p) => stopProc(p, 'SIGKILL')));
  await Promise.all(clients.map((c) => c.close()));
  await server?.destroy();
  if (savedHome === undefined) delete process.env.ORTQ_HOME;
  else process.env.ORTQ_HOME = savedHome;
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** A fixture whose directory is removed when the file's tests are done. */
async function makeFixture(url: string, opts?: Parameters<typeof makeQueueFixture>[1]): Promise<QueueFixture> {
  const fx = await makeQueueFixture(url, opts);
  dirs.push(fx.dir);
  return fx;
}

async function worker(fx: QueueFixture, args: string[] = []): Promise<Proc> {
  const p = await startWorker(fx, args);
  procs.push(p);
  return p;
}

async function client(fx: QueueFixture): Promise<QueueClient> {
  const qc = await QueueClient.open(loadConfig({ env: fx.env, cwd: fx.dir }));
  clients.push(qc);
  return qc;
}

function json(p: Proc): Record<string, any> {
  return JSON.parse(p.out());
}

/** Every input id exactly once in the run's part files. */
async function expectRowsOnce(runDir: string, rows: number): Promise<void> {
  const ids = (await readRunRows(runDir)).map((r) => Number(r.id));
  expect(ids.length).toBe(rows);
  expect(new Set(ids).size).toBe(rows);
}

/** A worker, and a run enqueued with `ortq enqueue` that has finished its first five shards. */
async function runUnderWay(fx: QueueFixture): Promise<{ qc: QueueClient; w: Proc; runId: string; runDir: string }> {
  const qc = await client(fx);
  const w = await worker(fx);
  const e = ortq(fx, ['enqueue', fx.jobFile, '--json']);
  expect(await e.exit, e.err()).toBe(0);
  const { runId, runDir } = json(e);
  await until(async () => ((await qc.store.get(runId))?.shardsDone ?? 0) >= 5, 60_000, 'first shards');
  return { qc, w, runId, runDir };
}

/** The run completes, with every input row exactly once. */
async function expectCompletes(qc: QueueClient, fx: QueueFixture, runId: string, runDir: string): Promise<void> {
  await until(async () => (await qc.store.get(runId))?.status === 'completed', 90_000, 'run completion');
  await expectRowsOnce(runDir, fx.rows);
}

describe('queued runs (real redis-server, worker processes, onnxruntime)', () => {
  it('two workers score a 60-shard run exactly as the local runner does', async () => {
    const fx = await makeFixture(server.url);
    const [a, b] = await Promise.all([worker(fx), worker(fx)]);
    const e = ortq(fx, ['enqueue', fx.jobFile, '--wait', '--json']);
    expect(await e.exit, e.err()).toBe(0);
    const summary = json(e);
    expect(summary).toMatchObject({ status: 'completed', outcome: 'enqueued', rows: { read: fx.rows, written: fx.rows, skipped: 0 } });
    expect(summary.model.digest).toMatch(/^sha256:/);
    const queued = (await readRunManifest(summary.runDir))!;
    expect(queued.shards).toBeGreaterThanOrEqual(50);
    expect(queued.mode).toBe('queue');
    // both workers took shards
    expect(a.err()).toContain('shard done');
    expect(b.err()).toContain('shard done');

    const job = parseJob({ name: 'qscore', model: 'lin@champion', input: { path: 'data/*.parquet' }, features: { input: featureCols }, passthrough: ['id'], output: { path: 'out/local' }, batchSize: 64 }, { baseDir: fx.dir });
    const local = await runLocal(job, { repo: fx.repo, shardRows: 100 });
    const parts = (m: typeof queued) => m.outputs.map((o) => [o.path, o.rows, o.digest]);
    expect(parts(queued)).toEqual(parts(local.manifest));
    await expectRowsOnce(summary.runDir, fx.rows);

    // the same job again is reported, not redone
    const again = ortq(fx, ['enqueue', fx.jobFile, '--json']);
    expect(await again.exit).toBe(0);
    expect(json(again)).toMatchObject({ runId: summary.runId, outcome: 'existing', reused: true });

    const st = ortq(fx, ['status', '--json']);
    expect(await st.exit, st.err()).toBe(0);
    const s = json(st);
    expect(s.workers.length).toBe(2);
    expect(s.queues.find((q: any) => q.name === 'predict').counts.completed).toBeGreaterThanOrEqual(50);
    expect(s.runs[0]).toMatchObject({ runId: summary.runId, status: 'completed', rowsDone: fx.rows, percent: 100 });
    expect(s.rowsPerSecond).toHaveProperty('last5Minutes');
    expect([await stopProc(a), await stopProc(b)]).toEqual([0, 0]);
  }, 120_000);

  it('one worker: the next shard starts while the last one commits, its shard processes retire and are replaced, every row once', async () => {
    const fx = await makeFixture(server.url);
    const w = ortq(fx, ['worker'], { ORTQ_RECYCLE_AFTER_SHARDS: '4', ORTQ_LOG_LEVEL: 'debug' });
    procs.push(w);
    await until(() => w.err().includes('worker started'), 30_000, 'worker start');
    const e = ortq(fx, ['enqueue', fx.jobFile, '--wait', '--json']);
    expect(await e.exit, e.err()).toBe(0);
    const { runDir } = json(e);
    await expectRowsOnce(runDir, fx.rows);
    const receipts = await readReceipts(runDir);
    const byPid = new Map<number, number>();
    for (const r of receipts.values()) byPid.set(r.pid, (byPid.get(r.pid) ?? 0) + 1);
    // four shards each, and the one a process took while its fourth committed
    expect(byPid.size).toBeGreaterThanOrEqual(Math.ceil(receipts.size / 5));
    expect(Math.max(...byPid.values())).toBeLessThanOrEqual(5);
    // a shard started (fetched, start mark sent) before the one before it was acknowledged
    const open = new Set<string>();
    let overlapped = 0;
    for (const line of w.err().split('\n').filter((l) => l.includes('"worker"'))) {
      const l = JSON.parse(line) as { msg: string; shardId?: string };
      if (l.msg === 'shard started') {
        if (open.size > 0) overlapped++;
        open.add(l.shardId!);
      } else if (l.msg === 'shard done') open.delete(l.shardId!);
    }
    expect(overlapped).toBeGreaterThan(0);
    expect(await stopProc(w)).toBe(0);
  }, 240_000);

  it('a worker SIGKILLed mid-run: another takes its shard over, every row once', async () => {
    const fx = await makeFixture(server.url);
    const { qc, w: a, runId, runDir } = await runUnderWay(fx);
    a.child.kill('SIGKILL');
    await a.exit;
    const b = await worker(fx);
    await expectCompletes(qc, fx, runId, runDir);
    expect(await stopProc(b)).toBe(0);
  }, 150_000);

  it('survives a Redis restart mid-run (same data dir, AOF)', async () => {
    const fx = await makeFixture(server.url);
    const { qc, w, runId, runDir } = await runUnderWay(fx);
    await server.restart(1000);
    await expectCompletes(qc, fx, runId, runDir);
    expect(w.err()).toMatch(/Redis connection (error|restored)|worker error/);
    expect(await stopProc(w)).toBe(0);
  }, 150_000);

  it('ten concurrent enqueues of one job make one run', async () => {
    const fx = await makeFixture(server.url, { files: 1, rowsPerFile: 1000 });
    const qc = await client(fx);
    const ps = Array.from({ length: 10 }, () => ortq(fx, ['enqueue', fx.jobFile, '--json']));
    const codes = await Promise.all(ps.map((p) => p.exit));
    expect(codes, ps.map((p) => p.err()).join('\n')).toEqual(Array(10).fill(0));
    const outs = ps.map(json);
    expect(new Set(outs.map((o) => o.runId)).size).toBe(1);
    expect(outs.filter((o) => o.outcome === 'enqueued')).toHaveLength(1);
    const counts = await qc.queue('predict').getJobCounts('waiting');
    expect(counts.waiting).toBe(10); // 1000 rows / 100-row shards, added once
    expect((await queueStatus(qc)).runs.filter((r) => r.runId === outs[0].runId)).toHaveLength(1);
  }, 120_000);

  it('a poisoned shard fails with ORTQ_INPUT_CORRUPT, the rest finish, the worker lives; runs retry re-runs the failed shards of the same inputs; the repaired input is a new run', async () => {
    const fx = await makeFixture(server.url, { files: 3, rowsPerFile: 1000 });
    const bad = join(fx.dir, 'data', 'in-1.parquet');
    const good = await readFile(bad);
    const broken = Buffer.from(good);
    // trash the middle of the file (data pages), keep the footer: planning succeeds, reading fails
    broken.fill(0xff, Math.floor(good.length * 0.3), Math.floor(good.length * 0.7));
    await writeFile(bad, broken);
    const w = await worker(fx);
    const e = ortq(fx, ['enqueue', fx.jobFile, '--wait', '--json']);
    expect(await e.exit).toBe(1);
    expect(e.err()).toMatch(/ORTQ_RUN_FAILED/);
    const summary = json(e);
    expect(summary.status).toBe('failed');
    expect(summary.failures.length).toBeGreaterThanOrEqual(1);
    for (const f of summary.failures) expect(f.code).toBe('ORTQ_INPUT_CORRUPT');
    expect(summary.failures[0].message).toContain('in-1.parquet');
    // errors cross the shard process and Redis as data: details come back as they were thrown
    expect(summary.failures[0].details).toMatchObject({ path: bad, format: 'parquet' });
    expect(w.child.exitCode).toBeNull();
    // permanent: failed at once, no retries
    expect(w.err().match(/"permanent":true/g)!.length).toBe(summary.failures.length);
    expect(w.err()).not.toContain('"permanent":false');

    // a retry re-runs only the failed shards, on the bytes the run was planned with: the same shards fail again
    const r = ortq(fx, ['runs', 'retry', summary.runId, '--wait', '--json']);
    expect(await r.exit, r.err()).toBe(1);
    const retried = json(r);
    expect(retried).toMatchObject({ runId: summary.runId, status: 'failed' });
    const steps = (fs: any[]) => fs.map((f) => f.step ?? f.shard).sort();
    expect(steps(retried.failures)).toEqual(steps(summary.failures));

    // repairing the input changes the run's inputs: that is a new run (runs retry says ORTQ_INPUT_CHANGED, see faults-runs.test.ts)
    await writeFile(bad, good);
    const again = ortq(fx, ['enqueue', fx.jobFile, '--wait', '--json']);
    expect(await again.exit, again.err()).toBe(0);
    const fresh = json(again);
    expect(fresh.runId).not.toBe(summary.runId);
    expect(fresh).toMatchObject({ status: 'completed', rows: { read: fx.rows, written: fx.rows } });
    await expectRowsOnce(fresh.runDir, fx.rows);
    expect(await stopProc(w)).toBe(0);
  }, 180_000);

  it('runs list where the run was submitted shows what the worker did (separate ORTQ_HOMEs), with or without Redis', async () => {
    const fx = await makeFixture(server.url, { files: 1, rowsPerFile: 1000 });
    const qc = await client(fx);
    const w = ortq(fx, ['worker'], { ORTQ_HOME: join(fx.dir, 'worker-home') });
    procs.push(w);
    await until(() => w.err().includes('worker started'), 30_000, 'worker start');
    const e = ortq(fx, ['enqueue', fx.jobFile, '--json']);
    expect(await e.exit, e.err()).toBe(0);
    const { runId } = json(e);
    await until(async () => (await qc.store.get(runId))?.status === 'completed', 90_000, 'run completion');
    // without Redis: the manifest on the shared output directory is the truth
    const offline = ortq(fx, ['runs', 'list', '--json'], { REDIS_URL: 'redis://127.0.0.1:1' });
    expect(await offline.exit, offline.err()).toBe(0);
    expect(json(offline).find((r: any) => r.runId === runId)).toMatchObject({ status: 'completed', rows: fx.rows, mode: 'queue' });
    const listed = ortq(fx, ['runs', 'list', '--json']);
    expect(await listed.exit, listed.err()).toBe(0);
    expect(json(listed).find((r: any) => r.runId === runId)).toMatchObject({ status: 'completed', rows: fx.rows });
    expect(await stopProc(w)).toBe(0);
  }, 150_000);

  it('runs list shows a queued run\'s live state from Redis while it is queued', async () => {
    const fx = await makeFixture(server.url, { files: 1, rowsPerFile: 500 });
    const e = ortq(fx, ['enqueue', fx.jobFile, '--json']);
    expect(await e.exit, e.err()).toBe(0);
    const { runId } = json(e);
    // a second machine: its own ORTQ_HOME, the same Redis
    const other = ortq(fx, ['runs', 'list', '--queue', '--json'], { ORTQ_HOME: join(fx.dir, 'elsewhere') });
    expect(await other.exit, other.err()).toBe(0);
    expect(json(other).find((r: any) => r.runId === runId)).toMatchObject({ status: 'queued', mode: 'queue', progress: { stepsDone: 0, steps: 5 } });
  }, 60_000);

  it('enqueue --force builds the new run beside the old one and swaps it in once verified', async () => {
    const fx = await makeFixture(server.url, { files: 1, rowsPerFile: 600 });
    const w = await worker(fx);
    const first = ortq(fx, ['enqueue', fx.jobFile, '--wait', '--json']);
    expect(await first.exit, first.err()).toBe(0);
    const { runId, runDir } = json(first);
    const forced = ortq(fx, ['enqueue', fx.jobFile, '--force', '--wait', '--json']);
    expect(await forced.exit, forced.err()).toBe(0);
    expect(json(forced)).toMatchObject({ runId, runDir, status: 'completed', rows: { read: fx.rows, written: fx.rows } });
    await expectRowsOnce(runDir, fx.rows);
    // nothing left under another name: no .old-, no staging or trash directory
    expect((await readdir(join(fx.dir, 'out/queued'))).sort()).toEqual(['_latest.json', `run=${runId}`]);
    expect(await stopProc(w)).toBe(0);
  }, 150_000);
});
