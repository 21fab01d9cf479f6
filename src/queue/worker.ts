import { hostname } from 'node:os';
import { DelayedError, Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import type { OrtqConfig } from '../config.js';
import { OrtqError, errorToText, toOrtqError } from '../errors.js';
import { kindForQueue } from '../kinds/registry.js';
import type { Logger } from '../logger.js';
import { closeWithin, settlesWithin } from './bounded.js';
import { checkEvictionPolicy, connectionFromConfig, openRedis, type QueueConnection } from './connection.js';
import { WorkerMetrics } from './metrics.js';
import { processorFile } from './processor-path.js';
import { QueuedRunStore, ShardStats } from './queued-runs.js';
import { RUNS_QUEUE } from './queues.js';
import { maskRedisUrl } from './redis-url.js';
import { runFinalizer } from './run-finalizer.js';
import { RunGuards } from './run-guard.js';
import { runLayout } from '../runs/layout.js';
import { RunLedger } from '../runs/ledger.js';
import { VerifiedFiles } from '../runs/verified-files.js';
import type { RunJobData, StepJobData as ShardJobData } from './run-flow.js';
import type { StepJobResult as ShardJobResult } from './step-processor.js';
import { ShardWorker } from './shard-worker.js';

// how long a starting worker waits for Redis to answer before it gives up (exit non-zero)
const START_TIMEOUT_MS = 10_000;

export interface WorkerServiceOptions {
  config: Readonly<OrtqConfig>;
  logger: Logger;
  /** work queues to take shards from @defaultValue ['predict'] */
  queues?: string[];
  /** shards processed at once, each in its own child process @defaultValue config.queue.workerConcurrency */
  concurrency?: number;
  /** per work queue, steps processed at once where it differs from `concurrency` (e.g. `{ train: 1 }`) */
  concurrencyByQueue?: Record<string, number>;
  /** a shard whose lock is not renewed for this long is given to another worker @defaultValue 30000 */
  lockDurationMs?: number;
  /** how often stalled shards are looked for @defaultValue 30000 */
  stalledIntervalMs?: number;
  /** model repository override, passed to the shard processes */
  repo?: string;
}

/**
 * One worker process: a ShardWorker per work queue (inference in child
 * processes, src/queue/shard-worker.ts) and a run finalizer on the runs queue. Connections use
 * `maxRetriesPerRequest: null` and reconnect forever, so a Redis restart only
 * pauses the work.
 */
export class WorkerService {
  readonly name = `${hostname()}-${process.pid}`;
  private readonly workers: Worker[] = [];
  private readonly shardWorkers: ShardWorker[] = [];
  private closing: Promise<{ handedBack: string[]; forced: boolean }> | null = null;
  /** run statistics sent after a shard completed, not yet acknowledged */
  private readonly pendingStats = new Set<Promise<void>>();
  /** statistics of completed shards, carried by the next start mark of their run (or flushed shortly after) */
  private readonly stats: ShardStats;
  /** queues opened on demand (the finalizer reading step jobs), closed with the worker */
  private readonly closers: Array<() => Promise<void>> = [];
  private readonly guards: RunGuards;
  /**
   * the files of acknowledged steps with their identity after the commit, as the step process that wrote
   * and hashed them says: the run's finalize (this worker's, when it takes the run job) reads back only
   * those that changed since, or that another worker's step processes wrote
   */
  private readonly verified = new VerifiedFiles();

  private constructor(
    /** defaults filled in */
    private readonly opts: WorkerServiceOptions & { queues: string[]; concurrency: number },
    private readonly conn: QueueConnection,
    private readonly client: Redis,
    private readonly store: QueuedRunStore,
    readonly metrics: WorkerMetrics,
  ) {
    // a run's exclusive resource outlives a dead holder by twice the lock duration
    this.guards = new RunGuards(client, conn.prefix, Math.max(2000, 2 * (opts.lockDurationMs ?? 30_000)));
    this.stats = new ShardStats(store, 20, (p) => this.track(p));
  }

  /** keeps an advisory statistics write until it settles, so that close() can give it a moment */
  private track(p: Promise<void>): void {
    const done: Promise<void> = p.catch(() => undefined).finally(() => { this.pendingStats.delete(done); });
    this.pendingStats.add(done);
  }

  static async start(opts: WorkerServiceOptions): Promise<WorkerService> {
    const conn = connectionFromConfig(opts.config, 'worker');
    const log = opts.logger.child({ worker: `${hostname()}-${process.pid}` });
    // credentials and reachability are checked once, before anything retries forever:
    // a wrong password fails here with ORTQ_REDIS_AUTH, a dead Redis with ORTQ_REDIS_UNAVAILABLE
    (await openRedis(conn, { timeoutMs: START_TIMEOUT_MS })).disconnect();
    const client = new Redis({ ...(conn.redis as RedisOptions) });
    let lastError = '';
    client.on('error', (err: Error) => {
      if (err.message !== lastError) log.warn({ redis: maskRedisUrl(conn.url), err: err.message }, 'Redis connection error; retrying');
      lastError = err.message;
    });
    client.on('ready', () => {
      if (lastError) log.info({ redis: maskRedisUrl(conn.url) }, 'Redis connection restored');
      lastError = '';
    });
    client.once('ready', () => void checkEvictionPolicy(client, log));
    const svc = new WorkerService({ ...opts, logger: log, queues: opts.queues ?? ['predict'], concurrency: opts.concurrency ?? opts.config.queue.workerConcurrency }, conn, client, new QueuedRunStore(client, conn.prefix), new WorkerMetrics());
    await svc.metrics.listen(opts.config.metrics.port);
    svc.startWorkers();
    return svc;
  }

  private startWorkers(): void {
    const { config, logger } = this.opts;
    const base = {
      connection: this.conn.redis,
      prefix: this.conn.prefix,
      name: this.name,
      lockDuration: this.opts.lockDurationMs ?? 30_000,
      stalledInterval: this.opts.stalledIntervalMs ?? 30_000,
      // a SIGKILLed worker stalls its shard once; allow a second stall before failing it
      maxStalledCount: 2,
    };
    const stepQueues = new Map<string, Queue>();
    const stepQueue = (name: string): Queue => {
      let q = stepQueues.get(name);
      if (!q) {
        q = new Queue(name, { connection: this.conn.redis, prefix: this.conn.prefix });
        q.on('error', () => {});
        stepQueues.set(name, q);
        this.closers.push(() => closeWithin(() => q!.close(), () => q!.disconnect(), 500).then(() => undefined));
      }
      return q;
    };
    const finalizer = new Worker<RunJobData>(RUNS_QUEUE, runFinalizer(this.store, logger, stepQueue, new RunLedger(), {
      release: (resource, runId) => this.guards.release(resource, runId),
      verified: this.verified,
    }), { ...base, concurrency: 4, autorun: false });
    this.watch(finalizer, RUNS_QUEUE);
    this.workers.push(finalizer);
    for (const queue of this.opts.queues) {
      const kind = kindForQueue(queue);
      if (!kind) {
        logger.warn({ queue }, 'no processor for this queue yet; not listening on it');
        continue;
      }
      const env = {
        ...process.env,
        ORTQ_RECYCLE_AFTER_SHARDS: String(config.queue.recycleAfterShards),
        ORTQ_RECYCLE_ABOVE_RSS_MB: String(config.queue.recycleAboveRssMb),
        ...(this.opts.repo ? { MODEL_REPO_PATH: this.opts.repo } : {}),
      };
      const w = new ShardWorker(queue, processorFile('step-processor'), {
        ...base,
        concurrency: this.concurrencyOf(queue),
        stepEnv: env,
      }, this.shardHooks(queue));
      this.watch(w, queue);
      this.workers.push(w);
      this.shardWorkers.push(w);
    }
    for (const w of this.workers) w.run().catch((err: Error) => logger.error({ err: err.message }, 'worker loop ended'));
    const concurrency = Object.fromEntries(this.opts.queues.map((q) => [q, this.concurrencyOf(q)]));
    logger.info({ queues: this.opts.queues, concurrency, redis: maskRedisUrl(this.conn.url) }, 'worker started');
  }

  private concurrencyOf(queue: string): number {
    return this.opts.concurrencyByQueue?.[queue] ?? this.opts.concurrency;
  }

  private shardHooks(queue: string) {
    const log = this.opts.logger;
    const m = this.metrics;
    const store = this.store;
    const guards = this.guards;
    const stats = this.stats;
    const verified = this.verified;
    // a parallel kind's steps are shards of rows (predict); a sequence kind's are pipeline steps (train)
    const unit = kindForQueue(queue)?.order === 'sequence' ? 'step' : 'shard';
    const tag = (job: Job<ShardJobData>) => ({ runId: job.data.runId, [unit === 'step' ? 'step' : 'shardId']: job.data.stepId, model: job.data.model });
    return {
      async before(job: Job<ShardJobData>, token: string | undefined) {
        const guard = job.data.guard;
        let hold: ReturnType<RunGuards['hold']> | null = null;
        if (guard) {
          // the run's exclusive resource (one training per model): held by another run, the step
          // waits in delayed, not counted as an attempt, and asks again shortly
          const g = await guards.acquire(guard.key, job.data.runId);
          if (!g.held) {
            const waitMs = Math.min(2000, Math.max(250, g.ttlMs)) + Math.floor(Math.random() * 250);
            log.debug({ ...tag(job), guard: guard.key, heldBy: g.holder, waitMs }, 'step waits: its resource is held by another run');
            await job.moveToDelayed(Date.now() + waitMs, token);
            throw new DelayedError();
          }
          hold = guards.hold(guard.key, job.data.runId, (err) => log.warn({ ...tag(job), guard: guard.key, err: err?.message }, err ? 'cannot renew the run\'s resource' : 'the run\'s resource was taken by another run'));
        }
        // one round trip per shard: the cancel check, the run's start mark and the statistics of
        // this worker's shards of the run that completed since its last start mark
        const done = stats.take(job.data.runId);
        try {
          const status = await store.markStarted(job.data.runId, undefined, done).catch((err: Error) => {
            if (done) stats.add(job.data.runId, done.rows, done.shards);
            throw err;
          });
          if (status === 'cancelled') throw new UnrecoverableError(errorToText(new OrtqError('ORTQ_RUN_CANCELLED', `run ${job.data.runId} was cancelled`, { runId: job.data.runId })));
        } catch (err) {
          await hold?.stop(true).catch(() => undefined);
          throw err;
        }
        m.active.inc({ queue });
        log.debug({ ...tag(job), attempt: job.attemptsMade + 1 }, `${unit} started`);
        // kept between the steps of a run; given up after its last step, or when a step did not complete
        return hold ? (completed: boolean) => hold!.stop(!completed || guard!.last) : undefined;
      },
      async after(job: Job<ShardJobData>, result: ShardJobResult, ms: number) {
        m.active.dec({ queue });
        m.shards.inc({ queue, outcome: 'completed' });
        m.rows.inc({ queue }, result.receipt.rows.read);
        m.shardSeconds.observe({ queue }, ms / 1000);
        // statistics are advisory: a Redis blip must not fail a committed shard, and the shard's
        // completion (moveToFinished, on another connection) does not wait for them
        stats.add(job.data.runId, result.receipt.rows.read);
        for (const f of result.files ?? []) {
          const digest = result.receipt.files.find((r) => r.path === f.path)?.digest;
          if (digest) verified.vouch(runLayout.file(job.data.runDir, f.path), f.id, digest);
        }
        log.info({ ...tag(job), rows: result.receipt.rows.written, ms }, `${unit} done`);
      },
      async failed(job: Job<ShardJobData>, err: Error) {
        m.active.dec({ queue });
        m.shards.inc({ queue, outcome: 'failed' });
        log.warn({ ...tag(job), attempt: job.attemptsMade + 1, err: err.message, permanent: err.name === 'UnrecoverableError' }, `${unit} failed`);
      },
    };
  }

  private watch(w: Worker, queue: string): void {
    let last = '';
    w.on('error', (err: Error) => {
      // reconnects are retried by ioredis; log each distinct error once
      if (err.message !== last) this.opts.logger.warn({ queue, err: toOrtqError(err).message }, 'worker error');
      last = err.message;
    });
  }

  /**
   * Stops taking work and lets in-flight shards finish; what is still running
   * near the end of `graceMs` is handed back (moved to wait for another
   * worker). Returns within `graceMs` (plus a moment) even when Redis does not
   * answer: then the connections are dropped instead of closed (`forced`).
   * Idempotent.
   */
  close(graceMs = this.opts.config.queue.shutdownGraceMs): Promise<{ handedBack: string[]; forced: boolean }> {
    this.closing ??= (async () => {
      const log = this.opts.logger;
      log.info({ active: this.shardWorkers.flatMap((w) => w.activeShards()), graceMs }, 'worker stopping');
      for (const w of this.workers) void w.pause(true).catch(() => undefined);
      const allClosed = Promise.all(this.workers.map((w) => w.close().catch(() => undefined)));
      // the last part of the grace period is kept for handing back and closing connections
      const reserve = Math.min(1000, Math.floor(graceMs / 4));
      let handedBack: string[] = [];
      let forced = false;
      // nothing in flight and Redis gone: there is nothing to wait for, only sockets to drop
      const idleAndCut = this.shardWorkers.every((w) => w.activeShards().length === 0) && this.client.status !== 'ready';
      if (!(await settlesWithin(allClosed, idleAndCut ? Math.min(500, graceMs - reserve) : graceMs - reserve))) {
        handedBack = (await Promise.all(this.shardWorkers.map((w) => w.handBack()))).flat();
        log.warn({ handedBack }, 'grace period over; in-flight shards handed back');
        // with Redis up, hand-back and close take milliseconds; with Redis down they never end
        if (!(await settlesWithin(allClosed, reserve / 2))) {
          forced = true;
          log.warn({ redis: maskRedisUrl(this.conn.url) }, 'Redis does not answer; connections dropped without a clean close');
          await settlesWithin(Promise.all(this.workers.map((w) => w.disconnect())), reserve / 4);
          await Promise.all(this.shardWorkers.map((w) => w.dropChildren()));
        }
      }
      await settlesWithin(Promise.all(this.closers.map((c) => c())), forced ? 250 : Math.max(250, reserve / 4));
      await this.metrics.close();
      // run statistics are advisory: they get a moment, not the rest of the shutdown
      if (!forced) this.track(this.stats.flush());
      await settlesWithin(Promise.all(this.pendingStats), forced ? 0 : reserve / 4);
      if (forced || this.client.status !== 'ready') this.client.disconnect();
      else await settlesWithin(this.client.quit(), reserve / 4).then((ok) => { if (!ok) this.client.disconnect(); });
      log.info({ forced }, 'worker stopped');
      return { handedBack, forced };
    })();
    return this.closing;
  }
}
