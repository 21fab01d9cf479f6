import cron, { type ScheduledTask } from 'node-cron';
import type { OrtqConfig } from '../../config.js';
import { toOrtqError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { readJobFile } from '../../kinds/job-file.js';
import { ModelRepository } from '../../repo/model-repository.js';
import { enqueueJob } from '../enqueue.js';
import type { QueueClient } from '../queue-client.js';
import { metaKeys } from '../queues.js';
import { lastTickAtOrBefore, tickStamp, ticksBetween } from './cron-time.js';
import type { Schedule } from './schedules.js';
import { renderTemplate, tickVars } from './template.js';

export type TickOutcome =
  | { outcome: 'enqueued' | 'existing' | 'in-progress'; runId: string }
  | { outcome: 'duplicate' | 'skipped'; runId?: string }
  | { outcome: 'error'; code: string; message: string };

export interface TickEvent { schedule: string; tick: string; logical: Date; catchUp: boolean; result: TickOutcome }

// a tick's claim outlives any sensible catch-up window
const TICK_TTL_S = 30 * 24 * 3600;

/** The `--set` overrides of a schedule for one tick, templates rendered. */
export function tickOverrides(s: Schedule, logical: Date): string[] {
  const vars = tickVars(logical, s.timezone);
  return Object.entries(s.set).map(([path, value]) => `${path}=${renderTemplate(String(value), vars)}`);
}

/**
 * Enqueues scheduled runs. Each tick has a deterministic id (schedule name +
 * logical time) claimed in Redis with SET NX, so any number of schedulers
 * side by side enqueue it once. Missed ticks are caught up on start (newest
 * `catchUp` of them), and a tick is skipped while the schedule's previous run
 * is still queued or running (`skipIfRunning`).
 */
export class SchedulerService {
  private tasks: ScheduledTask[] = [];
  private readonly keys: ReturnType<typeof metaKeys>;
  private inflight = new Set<Promise<unknown>>();

  constructor(
    private readonly qc: QueueClient,
    private readonly schedules: Schedule[],
    private readonly opts: {
      config: Readonly<OrtqConfig>;
      logger: Logger;
      repo?: string;
      /** relative paths in job specs resolve here @defaultValue process.cwd() */
      baseDir?: string;
      onTick?: (e: TickEvent) => void;
    },
  ) {
    this.keys = metaKeys(qc.conn.prefix);
  }

  async start(now = new Date()): Promise<void> {
    for (const s of this.schedules) {
      await this.catchUp(s, now);
      const task = cron.schedule(s.cron, () => {
        const logical = lastTickAtOrBefore(s.spec, new Date(Date.now() + 500), 3600_000);
        if (!logical) return;
        const p = this.fire(s, logical, false).finally(() => this.inflight.delete(p));
        this.inflight.add(p);
      }, { timezone: s.timezone, name: `ortq-${s.name}`, noOverlap: false });
      this.tasks.push(task);
      this.opts.logger.info({ schedule: s.name, cron: s.cron, timezone: s.timezone, next: task.getNextRun()?.toISOString() }, 'schedule armed');
    }
  }

  private async catchUp(s: Schedule, now: Date): Promise<void> {
    if (s.catchUp <= 0) return;
    const last = await this.qc.redis.hget(this.keys.schedule(s.name), 'lastTick');
    if (!last) return;
    const missed = ticksBetween(s.spec, new Date(last), now, s.catchUp);
    if (missed.length) this.opts.logger.info({ schedule: s.name, missed: missed.length }, 'catching up missed ticks');
    for (const t of missed) await this.fire(s, t, true);
  }

  /** Handles one tick: claim it, maybe skip it, enqueue its run. Never throws. */
  async fire(s: Schedule, logical: Date, catchUp: boolean): Promise<TickOutcome> {
    const tick = `${s.name}@${tickStamp(logical)}`;
    const log = this.opts.logger.child({ schedule: s.name, tick });
    let result: TickOutcome;
    try {
      const won = await this.qc.redis.set(this.keys.tick(s.name, tickStamp(logical)), String(process.pid), 'EX', TICK_TTL_S, 'NX');
      if (won !== 'OK') {
        result = { outcome: 'duplicate' };
      } else {
        await this.qc.redis.hset(this.keys.schedule(s.name), { lastTick: logical.toISOString() });
        const prev = await this.qc.redis.hget(this.keys.schedule(s.name), 'lastRunId');
        const prevRec = prev ? await this.qc.store.get(prev) : null;
        if (s.skipIfRunning && prevRec && (prevRec.status === 'queued' || prevRec.status === 'running')) {
          result = { outcome: 'skipped', runId: prev! };
          log.warn({ previous: prev }, 'previous run still in progress; tick skipped');
        } else {
          const job = await readJobFile(s.jobFile, tickOverrides(s, logical), { baseDir: this.opts.baseDir });
          const repo = ModelRepository.fromConfig(this.opts.config, this.opts.repo);
          const res = await enqueueJob(this.qc, job, { config: this.opts.config, repo, schedule: tick, logger: log });
          await this.qc.redis.hset(this.keys.schedule(s.name), { lastRunId: res.plan.runId });
          result = { outcome: res.outcome, runId: res.plan.runId };
          log.info({ runId: res.plan.runId, outcome: res.outcome, catchUp }, 'tick handled');
        }
      }
    } catch (err) {
      const e = toOrtqError(err);
      result = { outcome: 'error', code: e.code, message: e.message };
      log.error({ code: e.code, err: e.message }, 'tick failed');
    }
    this.opts.onTick?.({ schedule: s.name, tick, logical, catchUp, result });
    return result;
  }

  async stop(): Promise<void> {
    for (const t of this.tasks) await t.destroy();
    this.tasks = [];
    await Promise.all([...this.inflight]);
  }
}
