import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RunStatus } from '../predict/types.js';
import { metaKeys } from './queues.js';

/**
 * ortq's own record of a queued run, a Redis hash beside BullMQ's keys. BullMQ
 * forgets a job id once the job is trimmed (`removeOnComplete`), so "one run
 * per run id" is decided here, atomically, not by BullMQ ids alone.
 */
export interface QueuedRun {
  runId: string;
  status: RunStatus;
  runDir: string;
  jobName: string;
  model: string;
  digest: string;
  shards: number;
  totalRows: number | null;
  enqueuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  shardsDone: number;
  rowsDone: number;
  shardsFailed: number;
  failures: Array<{ shard: string; code: string; message: string }>;
  schedule: string | null;
  /** changes on every claim; a stale claim is taken over by comparing it */
  claim: string;
}

export type ClaimResult = { claimed: true; previous: RunStatus | null } | { claimed: false; current: QueuedRun };

// Atomically: refuse while queued/running, refuse a completed run unless allowed,
// otherwise (absent, failed, cancelled, or allowed) become 'queued' with a new claim token.
const CLAIM = `
local st = redis.call('HGET', KEYS[1], 'status')
local stale = ARGV[3] ~= '' and redis.call('HGET', KEYS[1], 'claim') == ARGV[3]
if (st == 'queued' or st == 'running') and not stale then return {0, st} end
if st == 'completed' and ARGV[1] == '0' then return {0, st} end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(cjson.decode(ARGV[2])))
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[5])
return {1, st or ''}
`;

// Marks the run running on its first shard start, leaves other states alone.
const START = `
if redis.call('HGET', KEYS[1], 'status') == 'queued' then
  redis.call('HSET', KEYS[1], 'status', 'running', 'startedAt', ARGV[1])
end
return 1
`;

export class QueuedRunStore {
  private readonly keys: ReturnType<typeof metaKeys>;

  constructor(private readonly client: Redis, prefix: string) {
    this.keys = metaKeys(prefix);
  }

  /**
   * Claims the right to enqueue a run. Exactly one of any number of concurrent
   * callers gets `claimed: true`. `allowCompleted` lets a completed run be
   * redone (--force, or its manifest is gone); `staleClaim` takes over a claim
   * whose enqueuer died before adding the flow.
   */
  async claim(
    rec: Omit<QueuedRun, 'status' | 'claim' | 'startedAt' | 'finishedAt' | 'shardsDone' | 'rowsDone' | 'shardsFailed' | 'failures'>,
    opts: { allowCompleted: boolean; staleClaim?: string },
  ): Promise<ClaimResult> {
    const fields: Record<string, string> = {
      ...encode({ ...rec, status: 'queued', startedAt: null, finishedAt: null, shardsDone: 0, rowsDone: 0, shardsFailed: 0, failures: [] }),
      claim: randomUUID(),
    };
    const flat = Object.entries(fields).flat();
    const [ok, prev] = (await this.client.eval(CLAIM, 2, this.keys.run(rec.runId), this.keys.runs,
      opts.allowCompleted ? '1' : '0', JSON.stringify(flat), opts.staleClaim ?? '', Date.parse(rec.enqueuedAt), rec.runId)) as [number, string];
    if (ok === 1) return { claimed: true, previous: (prev || null) as RunStatus | null };
    const current = await this.get(rec.runId);
    if (!current) return this.claim(rec, opts);
    return { claimed: false, current };
  }

  async get(runId: string): Promise<QueuedRun | null> {
    const h = await this.client.hgetall(this.keys.run(runId));
    return h && h.runId ? decode(h) : null;
  }

  async markStarted(runId: string, at = new Date().toISOString()): Promise<void> {
    await this.client.eval(START, 1, this.keys.run(runId), at);
  }

  async shardDone(runId: string, rows: number): Promise<void> {
    const minute = Math.floor(Date.now() / 60_000);
    await this.client.multi()
      .hincrby(this.keys.run(runId), 'shardsDone', 1)
      .hincrby(this.keys.run(runId), 'rowsDone', rows)
      .incrby(this.keys.rowsMinute(minute), rows)
      .expire(this.keys.rowsMinute(minute), 3600)
      .exec();
  }

  async finish(runId: string, status: RunStatus, failures: QueuedRun['failures'], at = new Date().toISOString()): Promise<void> {
    await this.client.hset(this.keys.run(runId), { status, finishedAt: at, failures: JSON.stringify(failures), shardsFailed: failures.length });
  }

  async setStatus(runId: string, status: RunStatus): Promise<void> {
    await this.client.hset(this.keys.run(runId), { status });
  }

  /** Most recent runs first. */
  async recent(limit = 50): Promise<QueuedRun[]> {
    const ids = await this.client.zrevrange(this.keys.runs, 0, limit - 1);
    const recs = await Promise.all(ids.map((id) => this.get(id)));
    return recs.filter((r): r is QueuedRun => r !== null);
  }

  /** Rows completed per minute for the last `minutes` minutes, oldest first. */
  async rowsPerMinute(minutes = 5, now = Date.now()): Promise<number[]> {
    const current = Math.floor(now / 60_000);
    const keys = Array.from({ length: minutes }, (_, i) => this.keys.rowsMinute(current - minutes + 1 + i));
    const vals = await this.client.mget(...keys);
    return vals.map((v) => Number(v ?? 0));
  }
}

const NUMERIC = new Set(['shards', 'shardsDone', 'rowsDone', 'shardsFailed']);
const NULLABLE = new Set(['totalRows', 'startedAt', 'finishedAt', 'schedule']);

function encode(rec: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(rec)) {
    out[k] = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  return out;
}

function decode(h: Record<string, string>): QueuedRun {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(h)) {
    if (k === 'failures') out[k] = v ? JSON.parse(v) : [];
    else if (k === 'totalRows') out[k] = v === '' ? null : Number(v);
    else if (NUMERIC.has(k)) out[k] = Number(v);
    else if (NULLABLE.has(k)) out[k] = v === '' ? null : v;
    else out[k] = v;
  }
  return out as unknown as QueuedRun;
}
