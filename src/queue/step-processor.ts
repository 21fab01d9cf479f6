/**
 * The step process: the worker forks this file (src/queue/shard-processes.ts),
 * so onnxruntime (or a trainer) never blocks the thread that renews job locks.
 * It serves every job kind: the kind comes from the job data, through the
 * registry. One process serves many steps (sessions stay cached per model
 * digest) until it asks to be recycled: after `ORTQ_RECYCLE_AFTER_SHARDS`
 * steps or above `ORTQ_RECYCLE_ABOVE_RSS_MB` of RSS (onnxruntime leaks when
 * sessions are recreated, so a fresh process is the cure).
 *
 * It holds the next step before the current one ends: once the current
 * step has read its last rows it reports `soon`, and the worker fetches the
 * next step and sends it here at once; this process begins it the moment the
 * current one is staged (its work done, only its receipt's staging and the
 * fsyncs left), with no round trip to the worker or Redis in between, and
 * without telling the worker (a step that cannot say `soon` says `staged`). The worker acknowledges a step only once it is `completed`
 * (durable). So one step computes at a time, the fetch of the next overlaps
 * the end of the current one's work, and the fsyncs of one overlap the next.
 */
import { stat } from 'node:fs/promises';
import { UnrecoverableError } from 'bullmq';
import { loadConfig } from '../config.js';
import { errorToText, toOrtqError } from '../errors.js';
import { kindEntry, knownKinds, loadKind } from '../kinds/registry.js';
import type { RunPlanBase, StepReceipt } from '../kinds/types.js';
import { createLogger } from '../logger.js';
import { ModelRepository } from '../repo/model-repository.js';
import { runLayout } from '../runs/layout.js';
import { runStepOnce } from '../runs/steps.js';
import { fileIdentity } from '../fs/identity.js';
import { readPlan } from '../runs/store.js';
import type { StepJobData } from './run-flow.js';

/** What processStep uses of a job: BullMQ's job, or the worker's message (`StepStart`). */
export interface StepJob {
  id?: string;
  data: StepJobData;
  attemptsMade: number;
  updateProgress(value: { rows: number }): Promise<unknown>;
}

/** worker → step process */
export interface StepStart { cmd: 'start'; key: string; id: string; data: StepJobData; attemptsMade: number }
/** step process → worker; `key` is the StepStart's */
export type StepMessage =
  | { cmd: 'ready' }
  /** the step is about to end; `retire`: this process takes no step after it. No `staged` follows a `soon`. */
  | { cmd: 'soon'; key: string; retire: boolean }
  /** only from a step that sent no `soon` */
  | { cmd: 'staged'; key: string; retire: boolean }
  | { cmd: 'progress'; key: string; value: { rows: number } }
  | { cmd: 'completed'; key: string; value: StepJobResult }
  | { cmd: 'failed'; key: string; error: { name: string; message: string; stack?: string } };

export interface StepJobResult {
  receipt: StepReceipt;
  /** set when this child wants to be replaced once the job is released */
  retire: boolean;
  pid: number;
  rssMb: number;
  /** identity (fileIdentity) of each file the step wrote, right after its commit; absent for a step not run in this attempt */
  files?: Array<{ path: string; id: string }>;
}

async function identitiesOf(runDir: string, receipt: StepReceipt): Promise<Array<{ path: string; id: string }>> {
  const out: Array<{ path: string; id: string }> = [];
  for (const f of receipt.files) {
    const id = fileIdentity(await stat(runLayout.file(runDir, f.path), { bigint: true }));
    if (id) out.push({ path: f.path, id });
  }
  return out;
}

// When the worker process dies (SIGKILL), its children must not outlive it:
// the step's lock expires and another worker takes it up. This file is the
// entry point of the step process, so ending it here is the child's own exit
// point, as src/cli/main.ts is the CLI's.
process.on('disconnect', () => process.exit(1));
// asked to end (recycled, the worker closing): at once, as without a handler, but through exit, so that
// exit hooks (node --cpu-prof, as the queue benchmark's ORTQ_BENCH_NODE_ARGS passes down) run
process.on('SIGTERM', () => process.exit(0));

const config = loadConfig();
const logger = createLogger({ name: 'ortq-step' });
const repo = ModelRepository.fromConfig(config);
// the worker passes its settings down as ORTQ_RECYCLE_* in the child's environment, read by loadConfig
const recycleAfter = config.queue.recycleAfterShards;
const recycleAboveMb = config.queue.recycleAboveRssMb;
const plans = new Map<string, RunPlanBase>();
/**
 * how long before its expected end a step asks for the next one (`soon`): more than the worker takes to
 * fetch it and send its start mark (a few ms, more on a loaded machine), little enough that the worker
 * holds that step, which it does not work on yet, only briefly
 */
const SOON_MS = 25;
/**
 * Steps taken here, ended or not (failed ones too): what recycling counts, at `soon`, at `staged` and at
 * a step's end alike. A step arrives before the one before it has ended (its commit, its successor
 * held), so a process that retires after step N says so at N's `soon` (or at N−1's end, if N is held by
 * then) and is sent nothing after N.
 */
let stepsTaken = 0;

async function planFor(data: StepJobData): Promise<RunPlanBase> {
  const key = `${data.runId}\0${data.runDir}`;
  let plan = plans.get(key);
  if (!plan) {
    plan = await readPlan(data.runDir);
    plans.clear(); // one run at a time is the common case; do not grow without bound
    plans.set(key, plan);
  }
  return plan;
}

/** the RSS read at the last step's end (MB) */
let lastRssMb = 0;

/**
 * Whether this process asks to be replaced once it has served the `taken` steps it has. The RSS is read
 * (/proc/self/stat: an open, read and close on this thread) only at a step's end (`fresh`); at `soon` and
 * `staged` the last step's reading stands, and the step's end decides again.
 */
function retiring(taken: number, fresh = false): { retire: boolean; rssMb: number } {
  if (fresh) lastRssMb = Math.round(process.memoryUsage.rss() / 2 ** 20);
  return { retire: taken >= recycleAfter || lastRssMb > recycleAboveMb, rssMb: lastRssMb };
}

/**
 * Runs one step. `soon` is told once the step has read all its rows (where the
 * plan knows how many: a predict shard), `staged` when only its commit's waits
 * for the disk are left, with whether this process retires after it.
 */
export async function processStep(job: StepJob, hooks: { ready?: Promise<void>; staged?(retire: boolean): void; soon?(retire: boolean): void } = {}): Promise<StepJobResult> {
  const data = job.data;
  stepsTaken++;
  // a sequence kind's steps are pipeline steps (train), a parallel kind's shards of rows (predict)
  const stepKey = knownKinds().includes(data.kind) && kindEntry(data.kind).order === 'sequence' ? 'step' : 'shardId';
  const log = logger.child({ runId: data.runId, [stepKey]: data.stepId, model: data.model, jobId: job.id, attempt: job.attemptsMade + 1 });
  // the first report comes after 500 ms too: a short step reports nothing but its completion
  let lastReport = Date.now();
  try {
    const kind = await loadKind(data.kind);
    const plan = await planFor(data);
    const step = kind.steps(plan)[data.stepIndex];
    if (!step || step.id !== data.stepId) throw toOrtqError(new Error(`run ${data.runId} has no step ${data.stepIndex} (${data.stepId})`));
    let soon = step.rows === null || !hooks.soon;
    let began = 0;
    const { receipt, ran } = await runStepOnce(kind, plan, step, {
      config,
      repo,
      logger: log,
      onProgress: (rows) => {
        // the next step is asked for when this one is about to end: its rows left, at the pace so far,
        // take less than the next step's fetch and start mark may (SOON_MS), or all are read
        if (!soon && rows > 0 && (rows >= step.rows! || ((step.rows! - rows) * (performance.now() - began)) / rows <= SOON_MS)) {
          soon = true;
          hooks.soon!(retiring(stepsTaken).retire);
        }
        const now = Date.now();
        if (now - lastReport < 500) return;
        lastReport = now;
        // progress is advisory: a lost update must not fail the step
        job.updateProgress({ rows }).catch(() => undefined);
      },
    }, {
      ready: (async () => {
        await hooks.ready;
        began = performance.now();
      })(),
      // the one before may still be committing: the worker must send nothing more to a process that
      // retires after the one it already holds
      staged: () => hooks.staged?.(retiring(stepsTaken).retire),
    });
    // this process wrote and hashed these files: their identity after the commit lets the run's
    // finalize trust the receipt's digests while the files stay as they are (src/runs/verified-files.ts)
    const files = ran ? await identitiesOf(plan.runDir, receipt) : [];
    const { retire, rssMb } = retiring(stepsTaken, true);
    if (retire) log.info({ stepsTaken, rssMb }, 'step process retiring');
    return { receipt, retire, pid: process.pid, rssMb, files };
  } catch (err) {
    const e = toOrtqError(err);
    log.warn({ code: e.code, err: e.message, retryable: e.retryable }, 'step error');
    // the failedReason is the error as JSON (code, message, details, cause); only transient errors are retried
    const reason = errorToText(e);
    throw e.retryable ? new Error(reason) : new UnrecoverableError(reason);
  }
}

function send(msg: StepMessage): void {
  // the worker gone, the disconnect handler above ends this process
  if (process.connected) process.send!(msg, undefined, {}, () => undefined);
}

/**
 * Settles once every step begun here so far has done its work (staged, or ended): a step that arrives
 * while another is at work checks its receipt meanwhile, and begins its work when this settles.
 */
let workDone: Promise<void> = Promise.resolve();

process.on('message', (msg: StepStart) => {
  if (msg?.cmd !== 'start') return;
  const { key } = msg;
  const before = workDone;
  let done!: () => void;
  workDone = new Promise((resolve) => { done = resolve; });
  // never before the steps before it: one that ends early (done already, failed) does not let a later one start
  const free = () => { void before.then(done); };
  let saidSoon = false;
  const job: StepJob = {
    id: msg.id,
    data: msg.data,
    attemptsMade: msg.attemptsMade,
    updateProgress: async (value) => send({ cmd: 'progress', key, value }),
  };
  processStep(job, {
    ready: before,
    // the worker needs one of the two: `soon` lets it send the next step, which this process begins at
    // staged without telling it (one message fewer per step); a step that cannot tell says `staged`
    soon: (retire) => {
      saidSoon = true;
      send({ cmd: 'soon', key, retire });
    },
    staged: (retire) => {
      if (!saidSoon) send({ cmd: 'staged', key, retire });
      free();
    },
  }).then(
    (value) => send({ cmd: 'completed', key, value }),
    (err: Error) => send({ cmd: 'failed', key, error: { name: err.name, message: err.message, stack: err.stack } }),
  ).finally(free);
});
if (process.send) send({ cmd: 'ready' });
