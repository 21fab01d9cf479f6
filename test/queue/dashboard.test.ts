import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isOrtqError } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import { startDashboard, type Dashboard } from '../../src/queue/dashboard.js';
import { RedisServer, freePort } from '../helpers/redis-server.js';

const prefix = 'dash';
const logger = createLogger({ level: 'silent' });
let server: RedisServer;
let dashboard: Dashboard;

beforeAll(async () => {
  server = await RedisServer.start();
  const conn = { host: '127.0.0.1', port: server.port };
  const predict = new Queue('predict', { connection: conn, prefix });
  const runs = new Queue('runs', { connection: conn, prefix });
  await predict.add('shard', { n: 1 }, { jobId: 'r1-00001' });
  await predict.add('shard', { n: 2 }, { jobId: 'r1-00002' });
  await predict.add('shard', { n: 3 }, { jobId: 'r1-00003', delay: 60_000 });
  await runs.add('run', { runId: 'r1' }, { jobId: 'r1' });
  await Promise.all([predict.close(), runs.close()]);
  dashboard = await startDashboard({ config: { redis: { url: server.url, prefix } }, port: 0, logger });
}, 15_000);

afterAll(async () => {
  await dashboard?.close();
  await server?.destroy();
});

async function get(path: string): Promise<Response> {
  return fetch(new URL(path, dashboard.url));
}

describe('ortq dashboard', () => {
  it('binds to 127.0.0.1 and lists the ortq queues', () => {
    expect(dashboard.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(dashboard.queues).toEqual(['runs', 'predict', 'train']);
  });

  it('serves the bull-board page and its static assets', async () => {
    const res = await get('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toContain('ortq (dash)');
    const asset = /src="([^"]*static\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeTruthy();
    expect((await get(asset!)).status).toBe(200);
  });

  it('lists queues with their counts, read-only', async () => {
    const res = await get('/api/queues?activeQueue=predict&status=waiting&page=1');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { queues: Array<{ name: string; counts: Record<string, number>; readOnlyMode: boolean }> };
    const byName = Object.fromEntries(body.queues.map((q) => [q.name, q]));
    expect(Object.keys(byName).sort()).toEqual(['predict', 'runs', 'train']);
    expect(byName.predict.counts).toMatchObject({ waiting: 2, delayed: 1 });
    expect(byName.runs.counts).toMatchObject({ waiting: 1 });
    expect(body.queues.every((q) => q.readOnlyMode)).toBe(true);
  });

  it('refuses actions unless --allow-actions', async () => {
    const res = await fetch(new URL('/api/queues/predict/promote', dashboard.url), { method: 'PUT' });
    expect(res.status).toBeGreaterThanOrEqual(400);
    const conn = { host: '127.0.0.1', port: server.port };
    const predict = new Queue('predict', { connection: conn, prefix });
    try {
      expect(await predict.getDelayedCount()).toBe(1);
    } finally {
      await predict.close();
    }
  });

  it('serves queue gauges on /metrics', async () => {
    const res = await get('/metrics');
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('ortq_queue_jobs{queue="predict",state="waiting"} 2');
    expect(text).toContain('ortq_queue_jobs{queue="predict",state="delayed"} 1');
    expect(text).toContain('ortq_queue_jobs{queue="runs",state="waiting"} 1');
    expect(text).toContain('ortq_queue_jobs{queue="train",state="failed"} 0');
    expect(text).toMatch(/ortq_queue_workers\{queue="predict"\} 0/);
  });

  it('answers /healthz from a Redis PING', async () => {
    const res = await get('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok' });
  });

  it('fails with ORTQ_REDIS_UNAVAILABLE and a masked URL when Redis is down', async () => {
    const port = await freePort();
    const err = await startDashboard({ config: { redis: { url: `redis://:hunter2@127.0.0.1:${port}/0`, prefix } }, port: 0, timeoutMs: 1000, logger })
      .catch((e: unknown) => e);
    expect(isOrtqError(err, 'ORTQ_REDIS_UNAVAILABLE')).toBe(true);
    expect((err as Error).message).toContain(`redis://127.0.0.1:${port}/0`);
    expect((err as Error).message).not.toContain('hunter2');
  });

  it('does not load bull-board, hono or bullmq when the CLI registers the command', async () => {
    const { readFile } = await import('node:fs/promises');
    const src = await readFile(new URL('../../src/cli/commands/dashboard/register.ts', import.meta.url), 'utf8');
    expect(src).not.toMatch(/^import (?!type).*from '(bullmq|@bull-board|hono|@hono|onnxruntime)/m);
  });
});
