import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { QueueClient } from '../../src/queue/queue-client.js';
import { metaKeys } from '../../src/queue/queues.js';
import { parseSchedules } from '../../src/queue/scheduler/schedules.js';
import { SchedulerService, type TickEvent } from '../../src/queue/scheduler/scheduler.js';
import { RedisServer } from '../helpers/redis-server.js';
import { makeFixture, type QueueFixture } from './fixtures.js';

let server: RedisServer;
let fx: QueueFixture;
const clients: QueueClient[] = [];
const savedHome = process.env.ORTQ_HOME;
const logger = createLogger({ level: 'silent' });

beforeAll(async () => {
  server = await RedisServer.start();
  fx = await makeFixture(server.url, { files: 1, rowsPerFile: 200 });
  process.env.ORTQ_HOME = fx.env.ORTQ_HOME;
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await server?.destroy();
  if (savedHome === undefined) delete process.env.ORTQ_HOME;
  else process.env.ORTQ_HOME = savedHome;
  if (fx) await rm(fx.dir, { recursive: true, force: true });
});

async function scheduler(raw: unknown, events: TickEvent[]): Promise<SchedulerService> {
  const config = loadConfig({ env: fx.env, cwd: fx.dir });
  const qc = await QueueClient.open(config, { role: 'service' });
  clients.push(qc);
  return new SchedulerService(qc, parseSchedules(raw, fx.dir), { config, logger, repo: fx.env.MODEL_REPO_PATH, baseDir: fx.dir, onTick: (e) => events.push(e) });
}

describe('scheduler', () => {
  it('two schedulers side by side enqueue each tick once', async () => {
    const raw = { schedules: [{ name: 'every-second', cron: '* * * * * *', job: fx.jobFile, skipIfRunning: false, set: { 'output.path': 'out/sched/{{ datetime }}-{{ second }}' } }] };
    const events: TickEvent[] = [];
    const [s1, s2] = [await scheduler(raw, events), await scheduler(raw, events)];
    await Promise.all([s1.start(), s2.start()]);
    await new Promise((r) => setTimeout(r, 3500));
    await Promise.all([s1.stop(), s2.stop()]);
    const byTick = new Map<string, TickEvent[]>();
    for (const e of events) byTick.set(e.tick, [...(byTick.get(e.tick) ?? []), e]);
    expect(byTick.size).toBeGreaterThanOrEqual(2);
    for (const [tick, es] of byTick) {
      const winners = es.filter((e) => e.result.outcome !== 'duplicate');
      expect(winners, tick).toHaveLength(1);
      expect(winners[0].result.outcome, JSON.stringify(winners[0].result)).toBe('enqueued');
    }
    const runIds = [...byTick.values()].map((es) => es.find((e) => e.result.outcome === 'enqueued')!.result).map((r) => (r as { runId: string }).runId);
    expect(new Set(runIds).size).toBe(byTick.size);
  }, 60_000);

  it('catches up missed ticks up to the limit and skips a tick while the previous run is queued', async () => {
    const raw = { schedules: [{ name: 'hourly', cron: '0 * * * *', job: fx.jobFile, catchUp: 2, set: { 'output.path': 'out/hourly/{{ datetime }}' } }] };
    const events: TickEvent[] = [];
    const s = await scheduler(raw, events);
    const qc = clients[clients.length - 1];
    const now = new Date('2025-03-01T10:30:00Z');
    await qc.redis.hset(metaKeys(qc.conn.prefix).schedule('hourly'), { lastTick: '2025-03-01T05:00:00.000Z' });
    await s.start(now);
    await s.stop();
    // five ticks were missed (06..10); the newest two are caught up, the second skipped as the first is still queued
    expect(events.map((e) => [e.logical.toISOString(), e.catchUp, e.result.outcome])).toEqual([
      ['2025-03-01T09:00:00.000Z', true, 'enqueued'],
      ['2025-03-01T10:00:00.000Z', true, 'skipped'],
    ]);
  }, 60_000);
});
