import { WaitingError, Worker, type Job, type Span, type WorkerOptions } from 'bullmq';
import type { StepJobData as ShardJobData } from './run-flow.js';
import { StepProcesses } from './shard-processes.js';
import type { StepJobResult as ShardJobResult } from './step-processor.js';

/** What the owner of a ShardWorker does around each shard (start checks, stats, logs). */
export interface ShardHooks {
  /**
   * runs before the shard is handed to a child process; throw to refuse it
   * (or move it to delayed with `token` and throw DelayedError). What it
   * returns is told how the shard ended (also when it was handed back).
   */
  before(job: Job<ShardJobData>, token: string | undefined): Promise<ShardEnd | void>;
  after(job: Job<ShardJobData>, result: ShardJobResult, ms: number): Promise<void>;
  failed(job: Job<ShardJobData>, err: Error): Promise<void>;
}

/** Told once how a started shard ended: `completed` true, or false (failed, retried, handed back). */
export type ShardEnd = (completed: boolean) => Promise<void>;

type ShardJob = Job<ShardJobData, ShardJobResult>;

export interface ShardWorkerOptions extends WorkerOptions {
  /** environment of the step processes @defaultValue process.env */
  stepEnv?: NodeJS.ProcessEnv;
}

/**
 * A BullMQ Worker whose shards run in child processes (src/queue/step-processor.ts,
 * StepProcesses), one shard at work per process, `concurrency` processes:
 * - overlap: once a shard has read its last rows (`soon`; or once it is
 *   staged, for a step that cannot tell), the worker fetches one more shard
 *   (`concurrency` goes up by one until the first is acknowledged), sends its
 *   start mark and hands it to the same process, which holds it and begins
 *   it the moment the first is staged (its work done, only its commit's
 *   fsyncs left). So the next fetch, its start mark and the start message,
 *   as well as the fsyncs and the acknowledgement, are off the path from one
 *   shard's work to the next's; the worker holds at most one shard per
 *   process that it does not work on, and only for the end of a shard. Each
 *   shard is still acknowledged only once its part and receipt are durable;
 * - recycling: a child that reports `retire` in its result takes no more
 *   shards and is ended once it holds none;
 * - hand-back: `handBack()` kills the children of in-flight shards and moves
 *   those jobs back to wait, so a shutdown that runs out of grace time loses
 *   no attempt and no lock timeout.
 */
export class ShardWorker extends Worker<ShardJobData, ShardJobResult> {
  private readonly hooks: ShardHooks;
  private readonly procs: StepProcesses;
  private readonly inflight = new Map<string, { job: ShardJob; token: string }>();
  /** the concurrency asked for: shards at work at once */
  private readonly atWork: number;
  /** shards staged and not yet acknowledged: each lets one more shard be fetched */
  private committing = 0;
  private handingBack = false;

  constructor(queue: string, file: string, opts: ShardWorkerOptions, hooks: ShardHooks) {
    const { stepEnv, ...workerOpts } = opts;
    let self: ShardWorker | undefined;
    // a processor function (2 arguments: no abort signal) that hands the shard to a step process
    super(queue, (job: ShardJob, token?: string) => self!.process(job, token), { ...workerOpts, autorun: false });
    self = this;
    this.hooks = hooks;
    this.procs = new StepProcesses(file, stepEnv);
    this.atWork = this.concurrency;
  }

  private async process(job: ShardJob, token?: string): Promise<ShardJobResult> {
    const end = await this.hooks.before(job, token);
    let completed = false;
    // one more shard may be held while this one ends: from its last rows read (or, for a step that
    // cannot tell, from its staging) until it is acknowledged
    let extra = false;
    const more = () => {
      if (extra) return;
      extra = true;
      this.overlap(1);
    };
    const t0 = Date.now();
    const key = job.id!;
    this.inflight.set(key, { job, token: token ?? '' });
    try {
      const result = await this.procs.run(key, { id: key, data: job.data, attemptsMade: job.attemptsMade }, {
        soon: more,
        staged: more,
        // progress is advisory: a lost update must not fail the step
        progress: (value) => { job.updateProgress(value).catch(() => undefined); },
      });
      completed = true;
      await this.hooks.after(job, result, Date.now() - t0);
      return result;
    } catch (err) {
      if (this.handingBack) {
        await job.moveToWait(token).catch(() => undefined);
        throw new WaitingError();
      }
      await this.hooks.failed(job, err as Error);
      throw err;
    } finally {
      // before BullMQ acknowledges it: that acknowledgement fetches no next shard when one was fetched already
      if (extra) this.overlap(-1);
      this.inflight.delete(key);
      if (end) await end(completed).catch(() => undefined);
    }
  }

  /**
   * One more (or one fewer) shard may be held: BullMQ's main loop fetches while
   * it holds fewer than `concurrency`; a resolved promise wakes it as BullMQ's
   * own resume() does, since it may be waiting for a held shard to end.
   */
  private overlap(delta: 1 | -1): void {
    this.committing += delta;
    this.concurrency = this.atWork + this.committing;
    if (delta > 0) (this as unknown as { mainLoopQueue?: { add(p: Promise<unknown>): void } }).mainLoopQueue?.add(Promise.resolve());
  }

  /**
   * BullMQ marks the worker drained when a shard's acknowledgement brings no next shard, even when it was
   * not asked for one (the next shard was fetched already, at `soon`); its next fetch then first waits on
   * the queue's marker (BZPOPMIN): one more round trip per shard. An acknowledgement that did not ask for
   * a next shard leaves that flag as it was; a fetch that finds the queue empty still sets it.
   */
  protected override async handleCompleted(result: ShardJobResult, job: ShardJob, token: string, fetchNextCallback: () => boolean = () => true, span?: Span): Promise<ShardJob> {
    const self = this as unknown as { drained: boolean };
    const before = self.drained;
    let asked = true;
    const next = await super.handleCompleted(result, job, token, () => (asked = fetchNextCallback()), span);
    if (!asked && !next) self.drained = before;
    return next;
  }

  /** Shards currently being processed by this worker. */
  activeShards(): string[] {
    return [...this.inflight.keys()];
  }

  /** pids of the step processes */
  stepPids(): number[] {
    return this.procs.pids();
  }

  override async close(force = false): Promise<void> {
    try {
      await super.close(force);
    } finally {
      await this.procs.close();
    }
  }

  /**
   * Signals every child process to end (a shutdown that cannot reach Redis: the
   * children's shards are not handed back, their locks expire) and waits a moment.
   */
  async dropChildren(waitMs = 500): Promise<void> {
    await this.procs.close(waitMs);
  }

  /** Kills the children of in-flight shards and moves those jobs back to wait. */
  async handBack(): Promise<string[]> {
    this.handingBack = true;
    const ids = [...this.inflight.keys()];
    for (const id of ids) this.procs.kill(id, 'SIGKILL');
    return ids;
  }
}
