import { QueueEvents } from 'bullmq';
import { OrtqError } from '../errors.js';
import { closeWithin, isConnectionError } from './bounded.js';
import type { QueueClient } from './queue-client.js';
import type { QueuedRun } from './queued-runs.js';
import { kindEntry } from '../kinds/registry.js';
import { RUNS_QUEUE, parseStepJobId } from './queues.js';
import { maskRedisUrl } from './redis-url.js';
import { workerProcesses } from './worker-processes.js';

export interface RunProgress {
  runId: string;
  status: QueuedRun['status'];
  shards: number;
  shardsDone: number;
  shardsFailed: number;
  rowsDone: number;
  totalRows: number | null;
  rowsPerSecond: number;
  etaSeconds: number | null;
}

/** Progress of a run from its record plus rows of shards still in flight; pure. */
export function progressOf(rec: QueuedRun, inflightRows: number, rowsAtStart: number, elapsedMs: number): RunProgress {
  const rowsDone = rec.rowsDone + inflightRows;
  const rate = elapsedMs > 0 ? ((rowsDone - rowsAtStart) / elapsedMs) * 1000 : 0;
  const left = rec.totalRows === null ? null : Math.max(0, rec.totalRows - rowsDone);
  return {
    runId: rec.runId, status: rec.status, shards: rec.shards, shardsDone: rec.shardsDone, shardsFailed: rec.shardsFailed,
    rowsDone, totalRows: rec.totalRows, rowsPerSecond: Math.round(rate),
    etaSeconds: left === null || rate <= 0 ? null : Math.round(left / rate),
  };
}

const FINAL = new Set(['completed', 'failed', 'cancelled']);

/** Things worth telling whoever waits: no worker serves the run's queue, Redis lost and back. */
export type FollowNotice =
  | { kind: 'no-worker'; queue: string }
  | { kind: 'worker-back'; queue: string; workers: number }
  | { kind: 'redis-lost'; error: string }
  | { kind: 'redis-back' };

export interface FollowOptions {
  onUpdate?: (p: RunProgress) => void;
  onNotice?: (n: FollowNotice) => void;
  /** the longest time between two reads of the run record @defaultValue 1000 */
  pollMs?: number;
  /**
   * the shortest time between two reads on shard events: a run of many short
   * shards sends hundreds of events a second, and this process shares the
   * machine with the workers @defaultValue 250
   */
  minPollMs?: number;
  /** give up waiting after this long with ORTQ_WAIT_TIMEOUT naming the run and its state; the run goes on */
  timeoutMs?: number;
  /** how often the run's queue is checked for a connected worker @defaultValue 2000 */
  workerCheckMs?: number;
}

/**
 * Follows a queued run until it ends: QueueEvents give shard progress and
 * completions as they happen, and the run record (polled, so nothing is missed
 * across a reconnect) gives the totals. Resolves with the final record.
 * A Redis outage does not end the wait (it is reported through `onNotice`,
 * as is a queue no worker serves); only `timeoutMs` does.
 */
export async function followRun(qc: QueueClient, runId: string, opts: FollowOptions = {}): Promise<QueuedRun> {
  // QueueEvents block on XREAD: BullMQ requires maxRetriesPerRequest null there
  const evOpts = { connection: { ...qc.conn.redis, maxRetriesPerRequest: null, commandTimeout: undefined }, prefix: qc.conn.prefix };
  const first = await qc.store.get(runId);
  const workQueue = kindEntry(first?.kind ?? 'predict').queue;
  const shardEvents = new QueueEvents(workQueue, evOpts);
  const runEvents = new QueueEvents(RUNS_QUEUE, evOpts);
  shardEvents.on('error', () => {});
  runEvents.on('error', () => {});
  const inflight = new Map<string, number>();
  const mine = (jobId: string) => parseStepJobId(jobId)?.runId === runId;
  let wake: () => void = () => {};
  let wakeNow: () => void = () => {};
  shardEvents.on('progress', ({ jobId, data }) => {
    if (!mine(jobId)) return;
    const rows = typeof data === 'object' && data && 'rows' in data ? Number((data as { rows: number }).rows) : 0;
    inflight.set(jobId, rows);
    wake();
  });
  const settle = ({ jobId }: { jobId: string }) => {
    if (!mine(jobId)) return;
    inflight.delete(jobId);
    wake();
  };
  shardEvents.on('completed', settle);
  shardEvents.on('failed', settle);
  // the run's own end is reported at once
  runEvents.on('completed', ({ jobId }) => { if (jobId === runId) wakeNow(); });
  runEvents.on('failed', ({ jobId }) => { if (jobId === runId) wakeNow(); });
  const started = Date.now();
  const deadline = opts.timeoutMs === undefined ? Infinity : started + opts.timeoutMs;
  const notice = opts.onNotice ?? (() => {});
  let rowsAtStart: number | null = null;
  let last: QueuedRun | null = null;
  let redisLost = false;
  let noWorker = false;
  let workersCheckedAt = 0;
  try {
    await Promise.all([shardEvents.waitUntilReady(), runEvents.waitUntilReady()]);
    for (;;) {
      // the run record is the truth; while Redis is away (a restart) the wait goes on
      let rec: QueuedRun | null = null;
      try {
        rec = await qc.store.get(runId);
        if (!rec) throw new OrtqError('ORTQ_RUN_NOT_FOUND', `run ${runId} has no record in Redis at ${maskRedisUrl(qc.conn.url)}`);
        if (redisLost) notice({ kind: 'redis-back' });
        redisLost = false;
      } catch (err) {
        if (!isConnectionError(err)) throw err;
        if (!redisLost) notice({ kind: 'redis-lost', error: (err as Error).message });
        redisLost = true;
      }
      if (rec) {
        last = rec;
        rowsAtStart ??= rec.rowsDone;
        const inflightRows = [...inflight.values()].reduce((a, b) => a + b, 0);
        opts.onUpdate?.(progressOf(rec, inflightRows, rowsAtStart, Date.now() - started));
        if (FINAL.has(rec.status)) return rec;
        if (Date.now() - workersCheckedAt >= (opts.workerCheckMs ?? 2000)) {
          workersCheckedAt = Date.now();
          const n = await workerProcesses(qc.queue(workQueue)).then((ws) => ws.length, () => null);
          if (n === 0 && !noWorker) notice({ kind: 'no-worker', queue: workQueue });
          if (n && noWorker) notice({ kind: 'worker-back', queue: workQueue, workers: n });
          if (n !== null) noWorker = n === 0;
        }
      }
      if (Date.now() >= deadline) {
        const state = redisLost ? `${last?.status ?? 'unknown'} (Redis at ${maskRedisUrl(qc.conn.url)} unreachable)` : last?.status ?? 'unknown';
        throw new OrtqError('ORTQ_WAIT_TIMEOUT',
          `run ${runId} is still ${state} after ${Math.round((Date.now() - started) / 1000)} s of waiting; it goes on in the queue — follow it with "ortq status"`,
          { runId, status: last?.status ?? null });
      }
      const polled = Date.now();
      const pollMs = Math.max(0, Math.min(opts.pollMs ?? 1000, deadline - polled));
      await new Promise<void>((resolve) => {
        let t = setTimeout(resolve, pollMs);
        wakeNow = () => { clearTimeout(t); resolve(); };
        wake = () => {
          wake = () => {};
          clearTimeout(t);
          t = setTimeout(resolve, Math.min(pollMs, Math.max(0, polled + (opts.minPollMs ?? 250) - Date.now())));
        };
      });
    }
  } finally {
    // QueueEvents.close() waits for Redis to answer; a wait that ends while Redis is away must not hang there
    await Promise.all([shardEvents, runEvents].map((ev) => closeWithin(() => ev.close(), () => ev.disconnect(), 2000)));
  }
}
