import type { RemoteRunStates, RunRecord } from '../runs/ledger.js';
import type { QueuedRun, QueuedRunStore } from './queued-runs.js';

function asRecord(q: QueuedRun): RunRecord {
  return {
    runId: q.runId, kind: q.kind, job: q.jobName, status: q.status, runDir: q.runDir, model: q.model, digest: q.digest,
    rows: q.rowsDone, startedAt: q.startedAt ?? q.enqueuedAt, ...(q.finishedAt ? { finishedAt: q.finishedAt } : {}), mode: 'queue',
    ...(q.summary ? { summary: q.summary } : {}),
    progress: { stepsDone: q.shardsDone, steps: q.shards, rowsDone: q.rowsDone, totalRows: q.totalRows },
  };
}

/** The Redis run records as the ledger's live state of queued runs: `runs list` on any machine sharing the Redis. */
export function remoteRunStates(store: QueuedRunStore): RemoteRunStates {
  return {
    async get(runIds) {
      const out = new Map<string, Partial<RunRecord>>();
      const recs = await Promise.all(runIds.map((id) => store.get(id)));
      for (const q of recs) if (q) out.set(q.runId, asRecord(q));
      return out;
    },
    async recent(limit) {
      return (await store.recent(limit)).map(asRecord);
    },
  };
}
