import { randomUUID } from 'node:crypto';
import cron, { type ScheduledTask } from 'node-cron';
import { toOrtqError } from '../errors.js';
import type { Logger } from '../logger.js';
import { compileCron, lastTickAtOrBefore, tickStamp } from '../queue/scheduler/cron-time.js';
import { cronEventId, evaluateDrift, evaluateNewData, type DriftRunSummary, type Evaluation, type InputFingerprint } from './evaluate.js';
import type { ModelRepository } from '../repo/model-repository.js';
import type { RollbackLimits } from './rollback.js';
import { upgradeFingerprint } from './sources.js';
import { watchRollback, type RollbackWatchOutcome } from './rollback-watch.js';
import type { Guards, NamedTrigger } from './spec.js';
import type { TriggerEvent, TriggerStore } from './store.js';

/** A train job the scheduler watches: its triggers and guards. */
export interface WatchedJob {
  /** the job's name (train run ids start with it) */
  name: string;
  /** the job file, re-read at each firing */
  file: string;
  /** the registry name the job trains: guards count per model */
  model: string;
  /** the alias its automatic promotions move */
  alias: string;
  /** `promote.rollback`: the watch after an automatic promotion (null: none) */
  rollback: RollbackLimits | null;
  /** the champion tag drift triggers watch by default */
  champion: string | null;
  /** the train input path, watched by newData triggers by default */
  trainPath: string;
  guards: Guards;
  triggers: NamedTrigger[];
}

/** What a firing hands to the train job: recorded in its run manifest and the candidate's lineage. */
export interface TriggerEvidence {
  trigger: string;
  type: string;
  eventId: string;
  firedAt: string;
  reason: string;
  details: Record<string, unknown>;
}

/** The outside world, injected so the service is testable against a real Redis alone. */
export interface TriggerDeps {
  /** finished predict runs of the model (a tag), newest first */
  recentRuns(modelTag: string, n: number): Promise<DriftRunSummary[]>;
  /** the files under a path with their fingerprints and row counts */
  fingerprint(path: string): Promise<InputFingerprint[]>;
  /** a training of this model is queued or running */
  trainingActive(model: string): Promise<boolean>;
  /** enqueues the job with the evidence; idempotent for one event */
  enqueue(job: WatchedJob, evidence: TriggerEvidence): Promise<{ runId: string; outcome: string }>;
}

export type FireOutcome =
  | { outcome: 'fired'; runId: string; eventId: string; enqueue?: string }
  | { outcome: 'duplicate' | 'not-fired'; eventId?: string; summary?: string }
  | { outcome: 'suppressed'; eventId: string; reason: string }
  | { outcome: 'error'; eventId?: string; code: string; message: string };

/**
 * Serves retraining triggers: arms cron triggers with node-cron, evaluates
 * drift and new-data triggers every `pollMs`, and fires through the store's
 * atomic claim (deterministic event ids: any number of schedulers fire each
 * event once). A fired event is kept as pending until its run is enqueued,
 * so a scheduler killed in between re-drives it on start: nothing is lost
 * and, because the claim stays, nothing repeats.
 */
export class TriggerService {
  private tasks: ScheduledTask[] = [];
  private timer: NodeJS.Timeout | null = null;
  private inflight = new Set<Promise<unknown>>();
  private evaluating: Promise<void> | null = null;

  constructor(
    private readonly store: TriggerStore,
    private readonly jobs: WatchedJob[],
    private readonly deps: TriggerDeps,
    private readonly opts: {
      logger: Logger;
      pollMs?: number;
      onEvent?: (e: TriggerEvent) => void;
      /** the model repository: with it, jobs with `promote.rollback` are watched on each round (rollback-watch.ts) */
      repo?: ModelRepository;
    },
  ) {}

  async start(now = new Date()): Promise<void> {
    await this.redrive();
    for (const job of this.jobs) {
      for (const t of job.triggers) {
        if (!('cron' in t.config)) continue;
        const spec = compileCron(t.config.cron, t.config.timezone);
        // a tick missed while no scheduler ran (within a week) fires once on start
        const state = await this.store.state(t.name);
        const last = lastTickAtOrBefore(spec, now, 7 * 24 * 3600_000);
        if (last && state.lastEventId !== cronEventId(last) && (!state.lastEvaluatedAt || Date.parse(state.lastEvaluatedAt) < last.getTime())) {
          this.track(this.fireCron(job, t, last));
        }
        const task = cron.schedule(t.config.cron, () => {
          const logical = lastTickAtOrBefore(spec, new Date(Date.now() + 500), 3600_000);
          if (logical) this.track(this.fireCron(job, t, logical));
        }, { timezone: t.config.timezone, name: `ortq-trigger-${t.name}` });
        this.tasks.push(task);
        this.opts.logger.info({ trigger: t.name, cron: t.config.cron, next: task.getNextRun()?.toISOString() }, 'cron trigger armed');
      }
    }
    const pollMs = this.opts.pollMs ?? 30_000;
    this.timer = setInterval(() => this.track(this.evaluateAll()), pollMs);
    this.timer.unref();
    await this.evaluateAll();
  }

  private track(p: Promise<unknown>): void {
    const q = p.catch(() => undefined).finally(() => this.inflight.delete(q));
    this.inflight.add(q);
  }

  /** Evaluates every drift and new-data trigger once (one evaluation at a time). */
  evaluateAll(): Promise<void> {
    this.evaluating ??= (async () => {
      try {
        for (const job of this.jobs) {
          for (const t of job.triggers) {
            if ('cron' in t.config) continue;
            await this.evaluate(job, t);
          }
          if (job.rollback && this.opts.repo) await this.watchRollback(job);
        }
      } finally {
        this.evaluating = null;
      }
    })();
    return this.evaluating;
  }

  /** One round of the rollback watch of a job (see rollback-watch.ts); never throws. */
  async watchRollback(job: WatchedJob): Promise<RollbackWatchOutcome | null> {
    if (!this.opts.repo) return null;
    try {
      const r = await watchRollback(job, this.store, { repo: this.opts.repo, recentRuns: (tag, n) => this.deps.recentRuns(tag, n) });
      if (r.outcome === 'rolled-back') this.opts.logger.warn({ job: job.name, model: job.model, from: r.version, to: r.to, summary: r.summary }, 'champion rolled back');
      return r;
    } catch (err) {
      const e = toOrtqError(err);
      this.opts.logger.error({ job: job.name, code: e.code, err: e.message }, 'rollback watch failed');
      return null;
    }
  }

  /** Evaluates one trigger and fires it when its condition holds. */
  async evaluate(job: WatchedJob, t: NamedTrigger): Promise<FireOutcome> {
    try {
      let ev: Evaluation;
      let fingerprint: string | undefined;
      if ('drift' in t.config) {
        const model = t.config.drift.model ?? job.champion ?? `${job.model}@champion`;
        ev = evaluateDrift(t, await this.deps.recentRuns(model, t.config.drift.consecutiveRuns));
      } else if ('newData' in t.config) {
        const files = await this.deps.fingerprint(t.config.newData.path ?? job.trainPath);
        const state = await this.store.state(t.name);
        const stored = state.lastFingerprint ? JSON.parse(state.lastFingerprint) as Array<InputFingerprint & { sha256?: string }> : null;
        const last = stored && await upgradeFingerprint(stored, files);
        // stored before xxh3-64: keep it in today's terms, so that its files are hashed with sha256 once
        if (stored?.some((f) => !f.digest)) await this.store.setState(t.name, { lastFingerprint: JSON.stringify(last) });
        ev = evaluateNewData(t, files, last);
        fingerprint = JSON.stringify(files);
      } else {
        throw new Error(`${t.name}: cron triggers fire on their ticks`);
      }
      await this.store.setState(t.name, { lastEvaluatedAt: new Date().toISOString(), lastSummary: ev.summary });
      if (!ev.fire) return { outcome: 'not-fired', summary: ev.summary };
      return await this.attempt(job, t, ev.eventId, ev.summary, ev.evidence, false, fingerprint);
    } catch (err) {
      return this.failed(job, t, undefined, err);
    }
  }

  async fireCron(job: WatchedJob, t: NamedTrigger, logical: Date): Promise<FireOutcome> {
    try {
      await this.store.setState(t.name, { lastEvaluatedAt: new Date().toISOString(), lastSummary: `tick ${tickStamp(logical)}` });
      return await this.attempt(job, t, cronEventId(logical), `scheduled tick ${logical.toISOString()}`, { tick: logical.toISOString() }, true);
    } catch (err) {
      return this.failed(job, t, cronEventId(logical), err);
    }
  }

  /**
   * A firing by hand (`ortq train trigger`): through the same claim and guards
   * as any trigger (one training per model, cooldown, daily cap), so a person
   * cannot run a model's retraining away either. A suppressed manual firing
   * is recorded with its reason like any other.
   */
  async fireManual(job: WatchedJob, reason: string, by = 'cli'): Promise<FireOutcome> {
    const t: NamedTrigger = { name: `${job.name}.manual`, job: job.name, type: 'manual', config: { cron: 'manual', timezone: 'UTC' } };
    try {
      return await this.attempt(job, t, `manual-${randomUUID().slice(0, 8)}`, reason, { by, reason }, true);
    } catch (err) {
      return this.failed(job, t, undefined, err);
    }
  }

  private async attempt(
    job: WatchedJob, t: NamedTrigger, eventId: string, summary: string, details: Record<string, unknown>,
    consume: boolean, fingerprint?: string, guards?: { cooldownMs: number; maxPerDay: number },
  ): Promise<FireOutcome> {
    const now = Date.now();
    const claim = await this.store.claim(t.name, eventId, {
      model: job.model, now,
      cooldownMs: guards?.cooldownMs ?? job.guards.cooldown,
      maxPerDay: guards?.maxPerDay ?? job.guards.maxPerDay,
      trainingActive: await this.deps.trainingActive(job.model),
    }, consume);
    const base = { at: new Date(now).toISOString(), trigger: t.name, job: job.name, type: t.type, eventId };
    if (claim.outcome === 'duplicate') return { outcome: 'duplicate', eventId };
    if (claim.outcome === 'suppressed') {
      if (claim.firstTime) {
        const e: TriggerEvent = { ...base, outcome: 'suppressed', reason: claim.reason, evidence: details };
        await this.store.record(e);
        this.opts.onEvent?.(e);
        this.opts.logger.warn({ trigger: t.name, eventId, reason: claim.reason }, 'trigger firing suppressed');
      }
      return { outcome: 'suppressed', eventId, reason: claim.reason };
    }
    const fired: TriggerEvent = { ...base, outcome: 'fired', reason: summary, evidence: details };
    await this.store.addPending(fired);
    await this.store.setState(t.name, { lastFiredAt: base.at, lastEventId: eventId, ...(fingerprint ? { lastFingerprint: fingerprint } : {}) });
    return this.enqueuePending(job, fired);
  }

  private async enqueuePending(job: WatchedJob, e: TriggerEvent): Promise<FireOutcome> {
    const evidence: TriggerEvidence = { trigger: e.trigger, type: e.type, eventId: e.eventId, firedAt: e.at, reason: e.reason ?? '', details: e.evidence ?? {} };
    const res = await this.deps.enqueue(job, evidence);
    const done: TriggerEvent = { ...e, outcome: 'fired', runId: res.runId, enqueue: res.outcome };
    await this.store.record(done);
    await this.store.setState(e.trigger, { lastRunId: res.runId });
    await this.store.removePending(e);
    this.opts.onEvent?.(done);
    this.opts.logger.info({ trigger: e.trigger, eventId: e.eventId, runId: res.runId, outcome: res.outcome }, 'trigger fired');
    return { outcome: 'fired', runId: res.runId, eventId: e.eventId, enqueue: res.outcome };
  }

  /** Fired events whose run was never enqueued (a scheduler killed in between) are enqueued now. */
  private async redrive(): Promise<void> {
    for (const e of await this.store.pending()) {
      const job = this.jobs.find((j) => j.name === e.job);
      if (!job) continue;
      this.opts.logger.info({ trigger: e.trigger, eventId: e.eventId }, 're-driving a firing left pending');
      await this.enqueuePending(job, e).catch((err) => this.failed(job, null, e.eventId, err));
    }
  }

  private async failed(job: WatchedJob, t: NamedTrigger | null, eventId: string | undefined, err: unknown): Promise<FireOutcome> {
    const e = toOrtqError(err);
    const name = t?.name ?? `${job.name}.?`;
    const ev: TriggerEvent = { at: new Date().toISOString(), trigger: name, job: job.name, type: t?.type ?? 'unknown', eventId: eventId ?? '', outcome: 'error', reason: `${e.code}: ${e.message}` };
    await this.store.record(ev).catch(() => undefined);
    await this.store.setState(name, { lastEvaluatedAt: ev.at, lastSummary: `error: ${e.code}: ${e.message}` }).catch(() => undefined);
    this.opts.onEvent?.(ev);
    this.opts.logger.error({ trigger: name, code: e.code, err: e.message }, 'trigger evaluation failed');
    return { outcome: 'error', eventId, code: e.code, message: e.message };
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const t of this.tasks) await t.destroy();
    this.tasks = [];
    await Promise.all([...this.inflight]);
    await this.evaluating;
  }
}
