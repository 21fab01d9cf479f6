import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isOrtqError } from '../../src/errors.js';
import { createLogger } from '../../src/logger.js';
import { checkEvictionPolicy, connectionFromConfig, openRedis } from '../../src/queue/connection.js';
import { QueuedRunStore } from '../../src/queue/queued-runs.js';
import { RedisServer, freePort } from '../helpers/redis-server.js';

let server: RedisServer;
let client: Redis;

beforeAll(async () => {
  server = await RedisServer.start({ args: ['--maxmemory-policy', 'allkeys-lru'] });
  client = await openRedis(connectionFromConfig({ redis: { url: server.url, prefix: 'p' } }));
});
afterAll(async () => {
  client?.disconnect();
  await server?.destroy();
});

function rec(runId: string) {
  return { runId, runDir: '/tmp/x', jobName: 'j', model: 'm:1', digest: 'sha256:d', shards: 3, totalRows: 30, enqueuedAt: new Date().toISOString(), schedule: null };
}

describe('Redis connection', () => {
  it('fails fast with ORTQ_REDIS_UNAVAILABLE and a masked URL when nothing listens', async () => {
    const port = await freePort();
    const t0 = Date.now();
    const err = await openRedis(connectionFromConfig({ redis: { url: `redis://:hunter2@127.0.0.1:${port}/0`, prefix: 'p' } }), { timeoutMs: 1500 }).catch((e) => e);
    expect(isOrtqError(err, 'ORTQ_REDIS_UNAVAILABLE')).toBe(true);
    expect(err.message).toContain(`redis://127.0.0.1:${port}/0`);
    expect(err.message).not.toContain('hunter2');
    expect(Date.now() - t0).toBeLessThan(4000);
  });

  it('warns when maxmemory-policy is not noeviction', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn' });
    const warn = logger.warn.bind(logger);
    logger.warn = ((obj: unknown, msg?: string) => { lines.push(String(msg)); return warn(obj as object, msg); }) as typeof logger.warn;
    expect(await checkEvictionPolicy(client, logger)).toBe('allkeys-lru');
    expect(lines.join()).toMatch(/noeviction/);
  });
});

describe('run records', () => {
  it('of ten concurrent claims of one run exactly one wins', async () => {
    const store = new QueuedRunStore(client, `t-${randomUUID()}`);
    const results = await Promise.all(Array.from({ length: 10 }, () => store.claim(rec('r1'), { allowCompleted: false })));
    expect(results.filter((r) => r.claimed)).toHaveLength(1);
    expect((await store.get('r1'))!.status).toBe('queued');
  });

  it('a completed run is not reclaimed unless allowed; failed and cancelled ones are', async () => {
    const store = new QueuedRunStore(client, `t-${randomUUID()}`);
    await store.claim(rec('r2'), { allowCompleted: false });
    expect(await store.markStarted('r2')).toBe('queued');
    expect((await store.get('r2'))!.status).toBe('running');
    expect(await store.markStarted('r2')).toBe('running');
    expect(await store.markStarted('no-such-run')).toBeNull();
    await store.shardDone('r2', 10);
    await store.finish('r2', 'completed', []);
    expect((await store.claim(rec('r2'), { allowCompleted: false })).claimed).toBe(false);
    expect((await store.claim(rec('r2'), { allowCompleted: true })).claimed).toBe(true);
    await store.finish('r2', 'failed', [{ shard: '00001', code: 'ORTQ_INPUT_CORRUPT', message: 'bad' }]);
    const failed = await store.get('r2');
    expect(failed!.failures[0].code).toBe('ORTQ_INPUT_CORRUPT');
    expect((await store.claim(rec('r2'), { allowCompleted: false })).claimed).toBe(true);
    const fresh = await store.get('r2');
    expect(fresh).toMatchObject({ status: 'queued', shardsDone: 0, rowsDone: 0, failures: [] });
  });

  it('a stale claim is taken over only with its token', async () => {
    const store = new QueuedRunStore(client, `t-${randomUUID()}`);
    await store.claim(rec('r3'), { allowCompleted: false });
    const held = await store.claim(rec('r3'), { allowCompleted: false });
    expect(held.claimed).toBe(false);
    const token = held.claimed ? '' : held.current.claim;
    expect((await store.claim(rec('r3'), { allowCompleted: false, staleClaim: 'other' })).claimed).toBe(false);
    expect((await store.claim(rec('r3'), { allowCompleted: false, staleClaim: token })).claimed).toBe(true);
  });

  it('counts rows per minute', async () => {
    const store = new QueuedRunStore(client, `t-${randomUUID()}`);
    await store.claim(rec('r4'), { allowCompleted: false });
    await store.shardDone('r4', 120);
    const mins = await store.rowsPerMinute(3);
    expect(mins).toHaveLength(3);
    expect(mins[2]).toBe(120);
    expect((await store.recent())[0].runId).toBe('r4');
  });
});
