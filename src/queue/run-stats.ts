import type { Redis } from 'ioredis';

/**
 * Run statistics kept in Redis, beside the run records: how many runs ended,
 * by kind and status; how long they took (a histogram by kind); when each job
 * last completed; and for runs that train a model (JobKind.outcome), the
 * training statistics by model. They are written by `QueuedRunStore.finish`,
 * in the same script that closes the run record, only when the record moves
 * into a final state: a finalizer that is retried, or a second worker
 * finishing the same run, counts nothing twice, and any number of workers add
 * to one count. The dashboard reads them on each scrape (run-metrics.ts).
 *
 * Hash fields (tab-separated: job, kind, model and verdict names hold no tabs):
 * - `n\t<kind>\t<status>`: runs that ended so;
 * - `b\t<kind>\t<le>`: runs whose duration fell in the bucket with upper bound `le` (not cumulative);
 * - `s\t<kind>`: summed duration in seconds;
 * - `ok\t<job>`: unix seconds of the job's latest completed run;
 * - `tn\t<model>\t<verdict>`: training runs that ended with that verdict (`failed`: the run failed);
 * - `tb\t<model>\t<le>`, `ts\t<model>`: their durations, as `b` and `s`, with TRAIN_DURATION_BUCKETS;
 * - `tp\t<model>`: training runs that moved an alias to their candidate.
 */

/** Upper bounds, in seconds, of `ortq_run_duration_seconds` buckets: a second to a day. */
export const RUN_DURATION_BUCKETS: readonly number[] = [1, 5, 15, 30, 60, 300, 900, 1800, 3600, 7200, 21600, 86400];

/** Upper bounds, in seconds, of `ortq_train_duration_seconds` buckets: a second to four hours. */
export const TRAIN_DURATION_BUCKETS: readonly number[] = [1, 5, 15, 60, 300, 900, 3600, 4 * 3600];

/** The bucket field's `le` for a duration: the smallest bound that holds it, or `+Inf`. */
export function durationBucket(seconds: number, bounds: readonly number[] = RUN_DURATION_BUCKETS): string {
  const b = bounds.find((le) => seconds <= le);
  return b === undefined ? '+Inf' : String(b);
}

/** A histogram counted in Redis, its buckets cumulative as Prometheus wants them. */
export interface StoredHistogram {
  sum: number;
  count: number;
  buckets: Array<{ le: number; count: number }>;
}

export interface RunStats {
  runs: Array<{ kind: string; status: string; count: number }>;
  durations: Array<{ kind: string } & StoredHistogram>;
  lastSuccess: Array<{ job: string; at: number }>;
  train: {
    runs: Array<{ model: string; verdict: string; count: number }>;
    durations: Array<{ model: string } & StoredHistogram>;
    promotions: Array<{ model: string; count: number }>;
  };
}

/** Sums and (non-cumulative) bucket counts per label value, as read from the hash. */
class HistogramFields {
  private readonly by = new Map<string, { sum: number; counts: Map<number, number> }>();
  constructor(private readonly bounds: readonly number[]) {}

  private of(key: string) {
    let d = this.by.get(key);
    if (!d) this.by.set(key, (d = { sum: 0, counts: new Map() }));
    return d;
  }

  sum(key: string, value: string): void {
    this.of(key).sum = Number(value);
  }

  bucket(key: string, le: string, value: string): void {
    // a bound no longer listed (an older version's) is folded into the next one up
    const bound = le === '+Inf' ? Infinity : Number(le);
    const at = this.bounds.find((x) => bound <= x) ?? Infinity;
    const counts = this.of(key).counts;
    counts.set(at, (counts.get(at) ?? 0) + Number(value));
  }

  list(): Array<[string, StoredHistogram]> {
    return [...this.by].map(([key, d]) => {
      let total = 0;
      const buckets = [...this.bounds, Infinity].map((le) => ({ le, count: (total += d.counts.get(le) ?? 0) }));
      return [key, { sum: d.sum, count: total, buckets }];
    });
  }
}

/** Reads the statistics; histogram buckets come back cumulative, as Prometheus wants them. */
export async function readRunStats(client: Redis, key: string): Promise<RunStats> {
  const h = await client.hgetall(key);
  const stats: RunStats = { runs: [], durations: [], lastSuccess: [], train: { runs: [], durations: [], promotions: [] } };
  const runDurations = new HistogramFields(RUN_DURATION_BUCKETS);
  const trainDurations = new HistogramFields(TRAIN_DURATION_BUCKETS);
  for (const [field, value] of Object.entries(h)) {
    const [tag, a, b] = field.split('\t');
    if (tag === 'n') stats.runs.push({ kind: a, status: b, count: Number(value) });
    else if (tag === 'ok') stats.lastSuccess.push({ job: a, at: Number(value) });
    else if (tag === 's') runDurations.sum(a, value);
    else if (tag === 'b') runDurations.bucket(a, b, value);
    else if (tag === 'tn') stats.train.runs.push({ model: a, verdict: b, count: Number(value) });
    else if (tag === 'tp') stats.train.promotions.push({ model: a, count: Number(value) });
    else if (tag === 'ts') trainDurations.sum(a, value);
    else if (tag === 'tb') trainDurations.bucket(a, b, value);
  }
  stats.durations = runDurations.list().map(([kind, d]) => ({ kind, ...d }));
  stats.train.durations = trainDurations.list().map(([model, d]) => ({ model, ...d }));
  return stats;
}
