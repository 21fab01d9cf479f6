import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { Registry } from 'prom-client';
import { QueueMetrics } from '../../src/queue/dashboard-metrics.js';
import { metaKeys } from '../../src/queue/queues.js';
import { registerRunMetrics } from '../../src/queue/run-metrics.js';
import { readRunStats } from '../../src/queue/run-stats.js';
import { QueueClient } from '../../src/queue/queue-client.js';
import { queueStatus } from '../../src/queue/status.js';
import { RedisServer } from '../helpers/redis-server.js';
import { makeFixture, ortq, startWorker, stopProc, until, type Proc, type QueueFixture } from './fixtures.js';

// issue 11 items 4, 5, 6: a failed run is failed in BullMQ too, status counts worker processes,
// runs retry re-checks the inputs
let server: RedisServer;
const procs: Proc[] = [];
const clients: QueueClient[] = [];
const dirs: string[] = [];

beforeAll(async () => { server = await RedisServer.start(); });
afterAll(async () => {
  await Promise.all(procs.map((p) => stopProc(p, 'SIGKILL')));
  await Promise.all(clients.map((c) => c.close()));
  await server?.destroy();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function fixture(opts?: Parameters<typeof makeFixture>[1]): Promise<QueueFixture> {
  const fx = await makeFixture(server.url, opts);
  dirs.push(fx.dir);
  return fx;
}

async function client(fx: QueueFixture): Promise<QueueClient> {
  const qc = await QueueClient.open(loadConfig({ env: fx.env, cwd: fx.dir }));
  clients.push(qc);
  return qc;
}

/** The run metrics as the dashboard exports them, read from the fixture's Redis. */
async function runMetrics(qc: QueueClient): Promise<string> {
  const reg = new Registry();
  registerRunMetrics(reg, () => readRunStats(qc.redis, metaKeys(qc.conn.prefix).runStats));
  return reg.metrics();
}

/** Trashes the data pages of a Parquet file but keeps its footer: planning succeeds, reading fails. Returns the good bytes. */
async function poison(path: string): Promise<Buffer> {
  const good = await readFile(path);
  const broken = Buffer.from(good);
  broken.fill(0xff, Math.floor(good.length * 0.3), Math.floor(good.length * 0.7));
  await writeFile(path, broken);
  return good;
}

describe('failed runs, workers and retries (real redis-server, worker processes, onnxruntime)', () => {
  it('status counts worker processes, not their per-queue connections', async () => {
    const fx = await fixture({ files: 1, rowsPerFile: 100 });
    const qc = await client(fx);
    const a = await startWorker(fx);
    procs.push(a);
    // "worker started" is logged as its connections open: wait for them to show in CLIENT LIST
    let s = await queueStatus(qc);
    await until(async () => (s = await queueStatus(qc)).queues.find((q) => q.name === 'predict')!.workers >= 1, 30_000, 'worker connections');
    expect(s.workers).toHaveLength(1);
    expect(s.workers[0].name).toContain(String(a.child.pid));
    expect(s.workers[0].queues.sort()).toEqual(['predict', 'runs']);
    for (const q of s.queues.filter((x) => x.name !== 'train')) expect(q.workers, q.name).toBe(1);
    const b = await startWorker(fx);
    procs.push(b);
    await until(async () => (s = await queueStatus(qc)).queues.find((q) => q.name === 'predict')!.workers >= 2, 30_000, 'second worker connections');
    expect(s.workers.map((w) => w.name).sort()).toHaveLength(2);
    expect(s.queues.find((q) => q.name === 'predict')!.workers).toBe(2);
    expect(s.queues.find((q) => q.name === 'train')!.workers).toBe(0);
    expect([await stopProc(a), await stopProc(b)]).toEqual([0, 0]);
  }, 90_000);

  it('a failed run ends failed in BullMQ and in ortq_queue_jobs; runs retry after an input changed gives ORTQ_INPUT_CHANGED', async () => {
    const fx = await fixture({ files: 2, rowsPerFile: 500 });
    const bad = join(fx.dir, 'data', 'in-1.parquet');
    const good = await poison(bad);
    const qc = await client(fx);
    const w = await startWorker(fx);
    procs.push(w);
    const e = ortq(fx, ['enqueue', fx.jobFile, '--wait', '--json', '--no-progress']);
    procs.push(e);
    expect(await e.exit, e.err()).toBe(1);
    const { runId } = JSON.parse(e.out());
    expect((await qc.store.get(runId))?.status).toBe('failed');

    // item 4: the run job itself is failed, so the dashboard and the metrics say so
    const job = await qc.runs.getJob(runId);
    expect(await job!.getState()).toBe('failed');
    expect(job!.failedReason).toMatch(/ORTQ_RUN_FAILED/);
    const metrics = await new QueueMetrics([qc.runs]).metrics();
    expect(metrics).toMatch(/ortq_queue_jobs\{queue="runs",state="failed"\} 1\b/);
    expect(metrics).toMatch(/ortq_queue_jobs\{queue="runs",state="completed"\} 0\b/);
    // item 14: the worker's finalizer counted it once, with its duration
    let runText = await runMetrics(qc);
    expect(runText).toMatch(/^ortq_runs_total\{kind="predict",status="failed"\} 1$/m);
    expect(runText).toMatch(/^ortq_run_duration_seconds_count\{kind="predict"\} 1$/m);
    expect(runText).not.toMatch(/ortq_last_success_timestamp_seconds\{/);

    // item 6: the input was repaired, so its bytes differ from the run's recorded fingerprint
    await writeFile(bad, good);
    const r = ortq(fx, ['runs', 'retry', runId]);
    procs.push(r);
    expect(await r.exit).toBe(1);
    expect(r.err()).toMatch(/ORTQ_INPUT_CHANGED/);
    expect(r.err()).toContain('in-1.parquet');
    expect(r.err()).toMatch(/ortq enqueue/);
    // nothing was re-enqueued: the run stays failed
    expect((await qc.store.get(runId))?.status).toBe('failed');

    // run again as a new run: it completes
    const again = ortq(fx, ['enqueue', fx.jobFile, '--wait', '--json', '--no-progress']);
    procs.push(again);
    expect(await again.exit, again.err()).toBe(0);
    const summary = JSON.parse(again.out());
    expect(summary.runId).not.toBe(runId);
    expect(summary).toMatchObject({ status: 'completed', rows: { read: fx.rows } });
    expect(await (await qc.runs.getJob(summary.runId))!.getState()).toBe('completed');
    runText = await runMetrics(qc);
    expect(runText).toMatch(/^ortq_runs_total\{kind="predict",status="completed"\} 1$/m);
    expect(runText).toMatch(/^ortq_run_duration_seconds_count\{kind="predict"\} 2$/m);
    const last = Number(new RegExp(`^ortq_last_success_timestamp_seconds\\{job="${(await qc.store.get(summary.runId))!.jobName}"\\} (\\S+)$`, 'm').exec(runText)?.[1]);
    expect(Math.abs(last - Date.now() / 1000)).toBeLessThan(120);
    expect(await stopProc(w)).toBe(0);
  }, 300_000);
});
