import type { QueueClient } from './queue-client.js';
import type { QueuedRun } from './queued-runs.js';
import { errorFromText } from '../errors.js';
import { kindQueues } from '../kinds/registry.js';
import { ALL_QUEUES, parseStepJobId } from './queues.js';
import { maskRedisUrl } from './redis-url.js';
import { workerProcesses } from './worker-processes.js';

export interface QueueCounts { waiting: number; active: number; completed: number; failed: number; delayed: number; waitingChildren: number }

export interface QueueStatus {
  redis: string;
  prefix: string;
  queues: Array<{ name: string; counts: QueueCounts; workers: number }>;
  workers: Array<{ name: string; addr: string; idleSeconds: number; queues: string[] }>;
  runs: Array<Pick<QueuedRun, 'runId' | 'kind' | 'status' | 'jobName' | 'model' | 'shards' | 'shardsDone' | 'shardsFailed' | 'rowsDone' | 'totalRows' | 'enqueuedAt' | 'startedAt' | 'finishedAt'> & { percent: number | null; summary: string | null }>;
  failures: Array<{ jobId: string; runId: string | null; shard: string | null; code: string; message: string; attempts: number; at: string | null }>;
  rowsPerSecond: { lastMinute: number; last5Minutes: number; perMinute: number[] };
}

/** A snapshot of the queue for `ortq status`: counts, workers, runs, recent failures, throughput. */
export async function queueStatus(qc: QueueClient, opts: { runs?: number; failures?: number; now?: number } = {}): Promise<QueueStatus> {
  const workersByName = new Map<string, QueueStatus['workers'][number]>();
  const queues = await Promise.all(ALL_QUEUES.map(async (name) => {
    const q = qc.queue(name);
    const c = await q.getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed', 'waiting-children', 'prioritized');
    // worker processes, not connections: a worker holds several per queue (see worker-processes.ts)
    const ws = await workerProcesses(q).catch(() => []);
    for (const w of ws) {
      const prev = workersByName.get(w.name);
      if (prev) {
        if (!prev.queues.includes(name)) prev.queues.push(name);
        prev.idleSeconds = Math.min(prev.idleSeconds, w.idleSeconds);
      } else {
        workersByName.set(w.name, { ...w, queues: [name] });
      }
    }
    const counts: QueueCounts = {
      waiting: (c.waiting ?? 0) + (c.prioritized ?? 0), active: c.active ?? 0, completed: c.completed ?? 0,
      failed: c.failed ?? 0, delayed: c.delayed ?? 0, waitingChildren: c['waiting-children'] ?? 0,
    };
    return { name, counts, workers: ws.length };
  }));
  const recent = await qc.store.recent(opts.runs ?? 20);
  const runs = recent.map((r) => ({
    runId: r.runId, kind: r.kind, status: r.status, jobName: r.jobName, model: r.model, shards: r.shards, shardsDone: r.shardsDone,
    shardsFailed: r.shardsFailed, rowsDone: r.rowsDone, totalRows: r.totalRows, enqueuedAt: r.enqueuedAt, startedAt: r.startedAt,
    finishedAt: r.finishedAt, summary: r.summary ?? null,
    percent: r.totalRows ? Math.min(100, Math.round((r.rowsDone / r.totalRows) * 1000) / 10) : r.shards ? Math.round((r.shardsDone / r.shards) * 1000) / 10 : null,
  }));
  const failedJobs = (await Promise.all(kindQueues().map((q) => qc.queue(q).getFailed(0, (opts.failures ?? 10) - 1)))).flat()
    .filter(Boolean).sort((a, b) => (b.finishedOn ?? 0) - (a.finishedOn ?? 0)).slice(0, opts.failures ?? 10);
  const failures = failedJobs.map((j) => {
    const ids = parseStepJobId(j.id ?? '');
    const e = errorFromText(j.failedReason);
    return { jobId: j.id ?? '', runId: ids?.runId ?? null, shard: ids?.stepId ?? null, code: e.code, message: e.message, attempts: j.attemptsMade, at: j.finishedOn ? new Date(j.finishedOn).toISOString() : null };
  });
  const perMinute = await qc.store.rowsPerMinute(6, opts.now);
  // the current minute is partial: rates use the completed minutes before it
  const full = perMinute.slice(0, -1);
  return {
    redis: maskRedisUrl(qc.conn.url),
    prefix: qc.conn.prefix,
    queues,
    workers: [...workersByName.values()],
    runs,
    failures,
    rowsPerSecond: {
      lastMinute: Math.round((full[full.length - 1] ?? 0) / 60),
      last5Minutes: Math.round(full.reduce((a, b) => a + b, 0) / 300),
      perMinute,
    },
  };
}
