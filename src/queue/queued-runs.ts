import { createHash, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RunStatus, StepFailure } from '../kinds/types.js';
import { metaKeys } from './queues.js';

/**
 * ortq's own record of a queued run, a Redis hash beside BullMQ's keys. BullMQ
 * forgets a job id once the job is trimmed (`removeOnComplete`), so "one run
 * per run id" is decided here, atomically, not by BullMQ ids alone.
 */
export interface QueuedRun {
  runId: string;
  /** the job kind (registry name) */
  kind: string;
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
  failures: StepFailure[];
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

// Marks the run running on its first shard start, leaves other states alone;
// returns the status it found ('' when there is no record).
const START = `
local st = redis.call('HGET', KEYS[1], 'status')
if st == 'queued' then
  redis.call('HSET', KEYS[1], 'status', 'running', 'startedAt', ARGV[1])
end
return st or ''
`;

// A shard's statistics in one command: a pipeline of five is five socket writes.
const SHARD_DONE = `
redis.call('HINCRBY', KEYS[1], 'shardsDone', 1)
redis.call('HINCRBY', KEYS[1], 'rowsDone', ARGV[1])
redis.call('INCRBY', KEYS[2], ARGV[1])
redis.call('EXPIRE', KEYS[2], 3600)
return 1
`;

const sha1 = (s: string) => createHash('sha1').update(s).digest('hex');
const SHAS = new Map([START, SHARD_DONE].map((s) => [s, sha1(s)]));

/** EVALSHA, falling back to EVAL once when Redis does not have the script (first use, restart, SCRIPT FLUSH). */
async function runScript(client: Redis, script: string, keys: string[], args: Array<string | number>): Promise<unknown> {
  try {
    return await client.evalsha(SHAS.get(script)!, keys.length, ...keys, ...args);
  } catch (err) {
    if (!String((err as Error).message).startsWith('NOSCRIPT')) throw err;
    return client.eval(script, keys.length, ...keys, ...args);
  }
}

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

  /**
   * Marks a queued run running (a shard of it starts) and returns the status
   * it had, in one round trip: the worker's per-shard "cancelled?" check.
   */
  async markStarted(runId: string, at = new Date().toISOString()): Promise<RunStatus | null> {
    const st = (await runScript(this.client, START, [this.keys.run(runId)], [at])) as string;
    return (st || null) as RunStatus | null;
  }

  async shardDone(runId: string, rows: number): Promise<void> {
    const minute = Math.floor(Date.now() / 60_000);
    await runScript(this.client, SHARD_DONE, [this.keys.run(runId), this.keys.rowsMinute(minute)], [rows]);
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
  out.kind ??= 'predict';
  return out as unknown as QueuedRun;
}
