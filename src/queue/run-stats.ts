import type { Redis } from 'ioredis';

/**
 * Run statistics kept in Redis, beside the run records: how many runs ended,
 * by kind and status; how long they took (a histogram by kind); when each job
 * last completed. They are written by `QueuedRunStore.finish`, in the same
 * script that closes the run record, only when the record moves into a final
 * state: a finalizer that is retried, or a second worker finishing the same
 * run, counts nothing twice, and any number of workers add to one count.
 * The dashboard reads them on each scrape (run-metrics.ts).
 *
 * Hash fields (tab-separated: job and kind names hold no tabs):
 * - `n\t<kind>\t<status>`: runs that ended so;
 * - `b\t<kind>\t<le>`: runs whose duration fell in the bucket with upper bound `le` (not cumulative);
 * - `s\t<kind>`: summed duration in seconds;
 * - `ok\t<job>`: unix seconds of the job's latest completed run.
 */

/** Upper bounds, in seconds, of `ortq_run_duration_seconds` buckets: a second to a day. */
export const RUN_DURATION_BUCKETS: readonly number[] = [1, 5, 15, 30, 60, 300, 900, 1800, 3600, 7200, 21600, 86400];

/** The bucket field's `le` for a duration: the smallest bound that holds it, or `+Inf`. */
export function durationBucket(seconds: number): string {
  const b = RUN_DURATION_BUCKETS.find((le) => seconds <= le);
  return b === undefined ? '+Inf' : String(b);
}

export interface RunStats {
  runs: Array<{ kind: string; status: string; count: number }>;
  durations: Array<{ kind: string; sum: number; count: number; buckets: Array<{ le: number; count: number }> }>;
  lastSuccess: Array<{ job: string; at: number }>;
}

/** Reads the statistics; histogram buckets come back cumulative, as Prometheus wants them. */
export async function readRunStats(client: Redis, key: string): Promise<RunStats> {
  const h = await client.hgetall(key);
  const runs: RunStats['runs'] = [];
  const lastSuccess: RunStats['lastSuccess'] = [];
  const perKind = new Map<string, { sum: number; counts: Map<number, number> }>();
  const kindOf = (k: string) => {
    let d = perKind.get(k);
    if (!d) perKind.set(k, (d = { sum: 0, counts: new Map() }));
    return d;
  };
  for (const [field, value] of Object.entries(h)) {
    const [tag, a, b] = field.split('\t');
    if (tag === 'n') runs.push({ kind: a, status: b, count: Number(value) });
    else if (tag === 'ok') lastSuccess.push({ job: a, at: Number(value) });
    else if (tag === 's') kindOf(a).sum = Number(value);
    else if (tag === 'b') {
      // a bound no longer listed (an older version's) is folded into the next one up
      const le = b === '+Inf' ? Infinity : Number(b);
      const at = RUN_DURATION_BUCKETS.find((x) => le <= x) ?? Infinity;
      const counts = kindOf(a).counts;
      counts.set(at, (counts.get(at) ?? 0) + Number(value));
    }
  }
  const durations = [...perKind].map(([kind, d]) => {
    let total = 0;
    const buckets = [...RUN_DURATION_BUCKETS, Infinity].map((le) => ({ le, count: (total += d.counts.get(le) ?? 0) }));
    return { kind, sum: d.sum, count: total, buckets };
  });
  return { runs, durations, lastSuccess };
}
