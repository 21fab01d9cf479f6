import { rm } from 'node:fs/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readReceipts } from '../../src/runs/store.js';
import { RedisServer } from '../helpers/redis-server.js';
import { makeFixture, ortq, stopProc, until, type Proc, type QueueFixture } from './fixtures.js';

/**
 * The Redis commands a queued run costs per shard, counted by the run's own
 * redis-server (INFO commandstats: every command, those run inside BullMQ's
 * scripts included). It guards ShardWorker.handleCompleted's override of
 * BullMQ's `drained` flag (src/queue/shard-worker.ts): the next shard is
 * fetched before the last one is acknowledged, so the acknowledgement asks
 * for no next job; BullMQ 6.7 then marks the worker drained, and each
 * following fetch first blocks on the queue's marker (BZPOPMIN) before
 * `moveToActive`: one more round trip per shard (0.86 per shard measured
 * before the override). A BullMQ upgrade that changes how the flag is set or
 * read fails here, not silently in the benchmark. Measured for this run of
 * 60 shards: 0.07 BZPOPMIN per shard with the override (the worker's idle
 * waits before the run and after it), 0.68 without it; 4.4 scripts and 55
 * commands in all per shard (worker and `enqueue --wait`, commands inside
 * scripts included). The bounds leave room for a loaded machine (a slower
 * run pays more of the per-second polls) and still fail a lost override or
 * a second script per shard.
 */

let server: RedisServer;
let redis: Redis;
const procs: Proc[] = [];
let fx: QueueFixture | undefined;

beforeAll(async () => {
  server = await RedisServer.start();
  redis = new Redis(server.url);
});
afterAll(async () => {
  await Promise.all(procs.map((p) => stopProc(p, 'SIGKILL')));
  redis?.disconnect();
  await server?.destroy();
  if (fx) await rm(fx.dir, { recursive: true, force: true });
});

async function commandCalls(): Promise<Map<string, number>> {
  const info = await redis.info('commandstats');
  const out = new Map<string, number>();
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out.set(m[1], Number(m[2]));
  return out;
}

describe('Redis round trips per shard (real redis-server, one worker process)', () => {
  it('fetching the next shard before the last is acknowledged costs no BZPOPMIN per shard', async () => {
    fx = await makeFixture(server.url, { files: 2, rowsPerFile: 3000 });
    // BullMQ's lock renewals and stalled checks at their defaults, not the fixture's fast ones: they are per
    // second, not per shard, and would only blur the count
    const quiet = { ORTQ_LOCK_DURATION_MS: '30000', ORTQ_STALLED_INTERVAL_MS: '30000' };
    const w = ortq(fx, ['worker'], quiet);
    procs.push(w);
    await until(() => w.err().includes('worker started'), 30_000, 'worker start');
    const before = await commandCalls();
    const e = ortq(fx, ['enqueue', fx.jobFile, '--wait', '--json'], quiet);
    expect(await e.exit, e.err()).toBe(0);
    const after = await commandCalls();
    const { runDir } = JSON.parse(e.out()) as { runDir: string };
    const shards = (await readReceipts(runDir)).size;
    expect(shards).toBe(60);
    const delta = (cmd: string) => (after.get(cmd) ?? 0) - (before.get(cmd) ?? 0);
    const all = [...after.keys()].filter((k) => k !== 'info').reduce((s, k) => s + delta(k), 0);
    const scripts = delta('evalsha') + delta('eval');
    console.log(`per shard: bzpopmin ${(delta('bzpopmin') / shards).toFixed(2)}, scripts ${(scripts / shards).toFixed(2)}, all commands ${(all / shards).toFixed(1)}`);
    expect(delta('bzpopmin') / shards).toBeLessThanOrEqual(0.3);
    expect(scripts / shards).toBeLessThanOrEqual(6);
    expect(all / shards).toBeLessThanOrEqual(100);
    expect(await stopProc(w)).toBe(0);
  }, 180_000);
});
