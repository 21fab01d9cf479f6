import { OrtqError } from '../errors.js';
import { kindQueues } from '../kinds/registry.js';

/**
 * Queue and job naming, in one place. BullMQ keys are
 * `<prefix>:<queue>:<jobId>`; ortq's own records live under `<prefix>:_meta:`,
 * which no queue is named, so the two never collide.
 */

/** Run jobs (flow parents): finalize a run once its shards are done. Always processed by every worker. */
export const RUNS_QUEUE = 'runs';

/**
 * Work queues a worker may serve. Each job kind names its queue in the kind
 * registry (src/kinds/registry.ts); `train` is listed before its kind lands
 * so that `--queues predict,train` is accepted.
 */
export const KNOWN_QUEUES: readonly string[] = [...new Set([...kindQueues(), 'predict', 'train'])];

/** Every queue, as `ortq status` and the dashboard show them: the run queue, then the work queues. */
export const ALL_QUEUES: readonly string[] = [RUNS_QUEUE, ...KNOWN_QUEUES];

export const STEP_JOB = 'step';
export const RUN_JOB = 'run';

/** BullMQ job ids may not contain ':' (it separates key parts). */
const JOB_ID = /^[A-Za-z0-9_.=@+-]{1,200}$/;

export function assertJobId(id: string): string {
  if (!JOB_ID.test(id)) throw new OrtqError('ORTQ_INTERNAL', `invalid BullMQ job id "${id}": use letters, digits and _ . = @ + - only`);
  return id;
}

/** The BullMQ id of a step job: `<runId>-<stepId>`, e.g. `iris-3f9c…-00042` or `iris-3f9c…-train`. */
export function stepJobId(runId: string, stepId: string): string {
  return assertJobId(`${runId}-${stepId}`);
}

/** Parses a step job id back into run and step; a run id ends in 20 hex digits. */
export function parseStepJobId(jobId: string): { runId: string; stepId: string } | null {
  const m = /^(.+-[0-9a-f]{20})-([A-Za-z0-9_.=]+)$/.exec(jobId);
  return m ? { runId: m[1], stepId: m[2] } : null;
}

/** Keys of ortq's own records (not BullMQ's). */
export function metaKeys(prefix: string) {
  const base = `${prefix}:_meta`;
  return {
    run: (runId: string) => `${base}:run:${runId}`,
    runs: `${base}:runs`,
    /** run counts, durations and last successes (run-stats.ts) */
    runStats: `${base}:runstats`,
    rowsMinute: (minute: number) => `${base}:rows:${minute}`,
    tick: (schedule: string, logical: string) => `${base}:tick:${schedule}:${logical}`,
    schedule: (schedule: string) => `${base}:schedule:${schedule}`,
    /** a run's exclusive resource (JobKind.exclusive): its value is the holding run id */
    guard: (resource: string) => `${base}:guard:${resource}`,
  };
}

/**
 * Parses `--queues predict,train` (or config `worker.queues`, given as a
 * list) into known queue names. An unknown name is ORTQ_USAGE from the
 * command line, ORTQ_CONFIG_INVALID from the configuration, listing the valid ones.
 */
export function parseQueueList(list: string | readonly string[] | undefined, source: 'flag' | 'config' = 'flag'): string[] {
  const names = (typeof list === 'string' || list === undefined ? (list ?? 'predict').split(',') : [...list]).map((s) => s.trim()).filter(Boolean);
  for (const n of names) {
    if (!(KNOWN_QUEUES as readonly string[]).includes(n)) {
      if (source === 'config') {
        throw new OrtqError('ORTQ_CONFIG_INVALID', `invalid configuration: worker.queues: unknown queue "${n}" (valid: ${KNOWN_QUEUES.join(', ')})`, { valid: KNOWN_QUEUES });
      }
      throw new OrtqError('ORTQ_USAGE', `unknown queue "${n}" (known: ${KNOWN_QUEUES.join(', ')})`);
    }
  }
  if (names.length === 0) throw new OrtqError(source === 'config' ? 'ORTQ_CONFIG_INVALID' : 'ORTQ_USAGE', `no queue to serve (valid: ${KNOWN_QUEUES.join(', ')})`);
  return [...new Set(names)];
}
