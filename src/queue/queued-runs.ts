import { createHash, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RunOutcome, RunStatus, StepFailure } from '../kinds/types.js';
import { metaKeys } from './queues.js';
import { durationBucket, TRAIN_DURATION_BUCKETS } from './run-stats.js';

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
  /** the kind's one-line summary of the finished run (a train run: candidate, verdict, metric, promotion) */
  summary?: string | null;
  /** changes on every claim; a stale claim is taken over by comparing it */
  claim: string;
}

/** Shards of one run finished and not yet counted in its record, and their rows. */
export interface DoneStats { shards: number; rows: number }

/**
 * A worker's shard statistics on their way to the run records. They are
 * advisory, so they need no round trip of their own: the next start mark of
 * the same run carries them (`take`, passed to `markStarted`), and whatever
 * no start mark took within `delayMs` (a run's last shards, another run's) is
 * sent on its own (`flush`, also on shutdown).
 */
export class ShardStats {
  private readonly pending = new Map<string, DoneStats>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly store: Pick<QueuedRunStore, 'shardDone'>, private readonly delayMs = 20,
    private readonly track: (p: Promise<void>) => void = () => {}) {}

  add(runId: string, rows: number, shards = 1): void {
    const p = this.pending.get(runId) ?? { shards: 0, rows: 0 };
    p.shards += shards;
    p.rows += rows;
    this.pending.set(runId, p);
    this.timer ??= setTimeout(() => this.track(this.flush()), this.delayMs).unref();
  }

  /** The run's pending statistics, now owned by the caller (give them back with `add` if its call fails). */
  take(runId: string): DoneStats | null {
    const p = this.pending.get(runId) ?? null;
    this.pending.delete(runId);
    return p;
  }

  /** Sends every pending statistic; failures are dropped (advisory). */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const all = [...this.pending];
    this.pending.clear();
    await Promise.all(all.map(([runId, p]) => this.store.shardDone(runId, p.rows, p.shards).catch(() => undefined)));
  }
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
// returns the status it found ('' when there is no record). ARGV[2], ARGV[3]:
// shards and rows this worker finished of the run since its last call ('0' when
// none), so that a worker's statistics ride on its next start mark.
const START = `
local st = redis.call('HGET', KEYS[1], 'status')
if st == 'queued' then
  redis.call('HSET', KEYS[1], 'status', 'running', 'startedAt', ARGV[1])
end
if ARGV[2] ~= '0' then
  redis.call('HINCRBY', KEYS[1], 'shardsDone', ARGV[2])
  redis.call('HINCRBY', KEYS[1], 'rowsDone', ARGV[3])
  redis.call('INCRBY', KEYS[2], ARGV[3])
  redis.call('EXPIRE', KEYS[2], 3600)
end
return st or ''
`;

// Shards' statistics in one command (ARGV: rows, shards): a pipeline of five is five socket writes.
const SHARD_DONE = `
redis.call('HINCRBY', KEYS[1], 'shardsDone', ARGV[2])
redis.call('HINCRBY', KEYS[1], 'rowsDone', ARGV[1])
redis.call('INCRBY', KEYS[2], ARGV[1])
redis.call('EXPIRE', KEYS[2], 3600)
return 1
`;

// Closes the run record and, only when it was not final already, counts the run in the
// statistics (run-stats.ts): a retried finalizer or a cancel racing a finalize counts once.
// ARGV: status, finishedAt, failures JSON, failure count, duration seconds or '', its bucket, finishedAt in unix seconds,
// summary or '', then for a run that trains a model (else ''): model, verdict, its duration's training bucket or '', promoted '1'/'0'
const FINISH = `
local prev = redis.call('HGET', KEYS[1], 'status')
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'finishedAt', ARGV[2], 'failures', ARGV[3], 'shardsFailed', ARGV[4])
if ARGV[8] ~= '' then redis.call('HSET', KEYS[1], 'summary', ARGV[8]) end
if prev == 'completed' or prev == 'failed' or prev == 'cancelled' then return 0 end
local kind = redis.call('HGET', KEYS[1], 'kind')
if not kind or kind == '' then kind = 'predict' end
redis.call('HINCRBY', KEYS[2], 'n\t' .. kind .. '\t' .. ARGV[1], 1)
if ARGV[5] ~= '' then
  redis.call('HINCRBY', KEYS[2], 'b\t' .. kind .. '\t' .. ARGV[6], 1)
  redis.call('HINCRBYFLOAT', KEYS[2], 's\t' .. kind, ARGV[5])
end
local job = redis.call('HGET', KEYS[1], 'jobName')
if ARGV[1] == 'completed' and job and job ~= '' then
  local last = tonumber(redis.call('HGET', KEYS[2], 'ok\t' .. job) or '0') or 0
  if tonumber(ARGV[7]) > last then redis.call('HSET', KEYS[2], 'ok\t' .. job, ARGV[7]) end
end
if ARGV[9] ~= '' then
  redis.call('HINCRBY', KEYS[2], 'tn\t' .. ARGV[9] .. '\t' .. ARGV[10], 1)
  if ARGV[11] ~= '' then
    redis.call('HINCRBY', KEYS[2], 'tb\t' .. ARGV[9] .. '\t' .. ARGV[11], 1)
    redis.call('HINCRBYFLOAT', KEYS[2], 'ts\t' .. ARGV[9], ARGV[5])
  end
  if ARGV[12] == '1' then redis.call('HINCRBY', KEYS[2], 'tp\t' .. ARGV[9], 1) end
end
return 1
`;

const sha1 = (s: string) => createHash('sha1').update(s).digest('hex');
const SHAS = new Map([START, SHARD_DONE, FINISH].map((s) => [s, sha1(s)]));

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
   * `done` adds the statistics of shards of this run that finished since
   * (see ShardStats), in the same round trip.
   */
  async markStarted(runId: string, at = new Date().toISOString(), done: DoneStats | null = null): Promise<RunStatus | null> {
    const minute = Math.floor(Date.now() / 60_000);
    const st = (await runScript(this.client, START, [this.keys.run(runId), this.keys.rowsMinute(minute)], [at, done?.shards ?? 0, done?.rows ?? 0])) as string;
    return (st || null) as RunStatus | null;
  }

  async shardDone(runId: string, rows: number, shards = 1): Promise<void> {
    const minute = Math.floor(Date.now() / 60_000);
    await runScript(this.client, SHARD_DONE, [this.keys.run(runId), this.keys.rowsMinute(minute)], [rows, shards]);
  }

  /**
   * Closes the run record with a final status. The first time a run reaches a
   * final state it is also counted in the run statistics (`ortq_runs_total`,
   * and with `durationSeconds`, `ortq_run_duration_seconds`; a completed run
   * sets its job's `ortq_last_success_timestamp_seconds`); with `outcome` (a
   * run that trains a model), in the training statistics too
   * (`ortq_train_runs_total`, `ortq_train_duration_seconds`, `ortq_promotions_total`).
   * Returns whether it counted.
   */
  async finish(runId: string, status: RunStatus, failures: QueuedRun['failures'], opts: { at?: Date; durationSeconds?: number; summary?: string; outcome?: RunOutcome | null } = {}): Promise<boolean> {
    const at = opts.at ?? new Date();
    const d = opts.durationSeconds;
    const has = d !== undefined && Number.isFinite(d) && d >= 0;
    const counted = await runScript(this.client, FINISH, [this.keys.run(runId), this.keys.runStats], [
      status, at.toISOString(), JSON.stringify(failures), failures.length,
      has ? String(d) : '', has ? durationBucket(d) : '', String(at.getTime() / 1000), opts.summary ?? '',
      ...outcomeArgs(opts.outcome, has ? d : undefined),
    ]);
    return counted === 1;
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

/** ARGV[9..12] of FINISH: the training statistics' labels; none for a run that trains nothing. */
function outcomeArgs(o: RunOutcome | null | undefined, seconds: number | undefined): string[] {
  // field names are tab-separated: a tab in a label would split it
  const clean = (v: string) => v.replace(/\t/g, ' ');
  if (!o || !o.model) return ['', '', '', ''];
  return [clean(o.model), clean(o.verdict || 'none'), seconds === undefined ? '' : durationBucket(seconds, TRAIN_DURATION_BUCKETS), o.promoted ? '1' : '0'];
}

const NUMERIC = new Set(['shards', 'shardsDone', 'rowsDone', 'shardsFailed']);
const NULLABLE = new Set(['totalRows', 'startedAt', 'finishedAt', 'schedule', 'summary']);

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
