import { QueueEvents } from 'bullmq';
import type { QueueClient } from './queue-client.js';
import type { QueuedRun } from './queued-runs.js';
import { kindEntry } from '../kinds/registry.js';
import { RUNS_QUEUE, parseStepJobId } from './queues.js';

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

/**
 * Follows a queued run until it ends: QueueEvents give shard progress and
 * completions as they happen, and the run record (polled, so nothing is missed
 * across a reconnect) gives the totals. Resolves with the final record.
 */
export async function followRun(qc: QueueClient, runId: string, opts: {
  onUpdate?: (p: RunProgress) => void;
  /** the longest time between two reads of the run record @defaultValue 1000 */
  pollMs?: number;
  /**
   * the shortest time between two reads on shard events: a run of many short
   * shards sends hundreds of events a second, and this process shares the
   * machine with the workers @defaultValue 250
   */
  minPollMs?: number;
} = {}): Promise<QueuedRun> {
  // QueueEvents block on XREAD: BullMQ requires maxRetriesPerRequest null there
  const evOpts = { connection: { ...qc.conn.redis, maxRetriesPerRequest: null }, prefix: qc.conn.prefix };
  const first = await qc.store.get(runId);
  const shardEvents = new QueueEvents(kindEntry(first?.kind ?? 'predict').queue, evOpts);
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
  let rowsAtStart: number | null = null;
  try {
    await Promise.all([shardEvents.waitUntilReady(), runEvents.waitUntilReady()]);
    for (;;) {
      const rec = await qc.store.get(runId);
      if (!rec) throw new Error(`run ${runId} has no record`);
      rowsAtStart ??= rec.rowsDone;
      const inflightRows = [...inflight.values()].reduce((a, b) => a + b, 0);
      opts.onUpdate?.(progressOf(rec, inflightRows, rowsAtStart, Date.now() - started));
      if (FINAL.has(rec.status)) return rec;
      const polled = Date.now();
      await new Promise<void>((resolve) => {
        let t = setTimeout(resolve, opts.pollMs ?? 1000);
        wakeNow = () => { clearTimeout(t); resolve(); };
        wake = () => {
          wake = () => {};
          clearTimeout(t);
          t = setTimeout(resolve, Math.max(0, polled + (opts.minPollMs ?? 250) - Date.now()));
        };
      });
    }
  } finally {
    await Promise.all([shardEvents.close(), runEvents.close()]).catch(() => undefined);
  }
}
