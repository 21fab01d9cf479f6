import { ChildPool, ParentCommand, WaitingError, Worker, type Child, type Job, type Processor, type WorkerOptions } from 'bullmq';
import { settlesWithin } from './bounded.js';
import type { StepJobData as ShardJobData } from './run-flow.js';
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

/**
 * A BullMQ Worker whose shards run in sandboxed child processes (BullMQ's
 * ChildPool), with two additions:
 * - recycling: a child that reports `retire` in its result is killed when it
 *   is released, before any other job can be given to it;
 * - hand-back: `handBack()` kills the children of in-flight shards and moves
 *   those jobs back to wait, so a shutdown that runs out of grace time loses
 *   no attempt and no lock timeout.
 */
export class ShardWorker extends Worker<ShardJobData, ShardJobResult> {
  // `declare`: createSandbox runs inside super(), before field initializers would
  declare hooks: ShardHooks;
  declare private inflight: Map<string, { job: ShardJob; token: string; child: () => Child | undefined }>;
  declare private handingBack: boolean;

  constructor(queue: string, file: string, opts: WorkerOptions, hooks: ShardHooks) {
    super(queue, file, { ...opts, autorun: false });
    this.hooks = hooks;
    this.handingBack = false;
  }

  protected override createSandbox(processor: string | URL | null | Processor<ShardJobData, ShardJobResult>): void {
    super.createSandbox(processor);
    const pool = (this as unknown as { childPool: ChildPool }).childPool;
    const retiring = new WeakSet<Child>();
    const listening = new WeakSet<Child>();
    const busy = new Map<string, Child>();
    const origRetain = pool.retain.bind(pool);
    const origRelease = pool.release.bind(pool);
    pool.retain = async (file: string) => {
      const child = await origRetain(file);
      if (!listening.has(child)) {
        listening.add(child);
        // registered before the sandbox's own listener, so the flag is set before release()
        child.on('message', (msg: { cmd: ParentCommand; value?: { retire?: boolean } }) => {
          if (msg.cmd === ParentCommand.Completed && msg.value?.retire) retiring.add(child);
        });
      }
      return child;
    };
    pool.release = (child: Child) => {
      for (const [id, c] of busy) if (c === child) busy.delete(id);
      if (retiring.has(child)) {
        // SIGTERM: the child exits once idle, which it already is
        pool.kill(child, 'SIGTERM').catch(() => undefined);
        return;
      }
      origRelease(child);
    };
    const inner = this.processFn;
    this.processFn = async (job: ShardJob, token?: string, signal?: AbortSignal) => {
      this.inflight ??= new Map();
      const end = await this.hooks.before(job, token);
      let completed = false;
      const t0 = Date.now();
      const key = job.id!;
      // the pool's most recently retained child is this job's; remember it for hand-back
      const retainBefore = pool.retain;
      pool.retain = async (file: string) => {
        const c = await retainBefore(file);
        busy.set(key, c);
        return c;
      };
      const running = inner(job, token, signal);
      pool.retain = retainBefore;
      this.inflight.set(key, { job, token: token ?? '', child: () => busy.get(key) });
      try {
        const result = await running;
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
        this.inflight.delete(key);
        busy.delete(key);
        if (end) await end(completed).catch(() => undefined);
      }
    };
  }

  /** Shards currently being processed by this worker. */
  activeShards(): string[] {
    return [...(this.inflight?.keys() ?? [])];
  }

  /**
   * Signals every child process to end (a shutdown that cannot reach Redis: the
   * children's shards are not handed back, their locks expire) and waits a moment.
   */
  async dropChildren(waitMs = 500): Promise<void> {
    const pool = (this as unknown as { childPool?: ChildPool }).childPool;
    if (pool) await settlesWithin(pool.clean(), waitMs);
  }

  /** Kills the children of in-flight shards and moves those jobs back to wait. */
  async handBack(): Promise<string[]> {
    this.handingBack = true;
    const pool = (this as unknown as { childPool: ChildPool }).childPool;
    const ids: string[] = [];
    for (const [id, f] of this.inflight ?? []) {
      const child = f.child();
      ids.push(id);
      if (child) await pool.kill(child, 'SIGKILL').catch(() => undefined);
    }
    return ids;
  }
}
