import type { Redis } from 'ioredis';

/**
 * Trigger state in Redis, under `<prefix>:_meta:trig:`:
 *   event:<trigger>:<eventId>   claim of one event (SET NX): fired once, by one scheduler
 *   state:<trigger>             hash: last evaluation, last firing, newData's fingerprint
 *   firings:<model>             zset of firing times, for the cooldown and the daily cap
 *   pending                     hash of fired events whose run is not enqueued yet (re-driven on start)
 *   events                      list of recent events (fired, suppressed, error, rollback), newest first, bounded
 *   counts                      hash "<trigger>\t<outcome>" -> events ever recorded
 *   rollbacks                   hash model -> automatic rollbacks ever recorded
 *   once:<key>                  a one-time claim (a rollback recorded once, a watch decided)
 */

const EVENT_TTL_S = 30 * 24 * 3600;
const DAY_MS = 86_400_000;
export const MAX_EVENTS = 1000;

export interface TriggerEvent {
  at: string;
  trigger: string;
  job: string;
  type: string;
  eventId: string;
  outcome: 'fired' | 'suppressed' | 'error' | 'enqueued' | 'rollback';
  /** the model an event acted on (rollbacks) */
  model?: string;
  reason?: string;
  runId?: string;
  /** how the run was enqueued: enqueued, existing (that training was done already: nothing new to train on), in-progress */
  enqueue?: string;
  evidence?: Record<string, unknown>;
}

export interface TriggerState {
  lastEvaluatedAt?: string;
  lastSummary?: string;
  lastFiredAt?: string;
  lastEventId?: string;
  lastRunId?: string;
  lastFingerprint?: string;
}

export interface GuardArgs { model: string; cooldownMs: number; maxPerDay: number; trainingActive: boolean; now: number }
export type ClaimResult =
  | { outcome: 'fired' }
  | { outcome: 'duplicate' }
  | { outcome: 'suppressed'; reason: string; firstTime: boolean };

// Claim + guards + record in one step, so two schedulers (or a cron tick and a
// drift event at once) cannot both pass the cooldown or the daily cap.
const CLAIM = `
if redis.call('EXISTS', KEYS[1]) == 1 then return {'duplicate', '', '0'} end
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - ${DAY_MS})
local reason = false
if ARGV[4] == '1' then reason = 'a training of this model is already queued or running' end
if not reason then
  local last = redis.call('ZREVRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  if #last > 0 and now - tonumber(last[2]) < tonumber(ARGV[2]) then
    reason = 'cooldown: last firing ' .. math.floor((now - tonumber(last[2])) / 1000) .. 's ago, cooldown ' .. math.floor(tonumber(ARGV[2]) / 1000) .. 's'
  end
end
if not reason then
  local n = redis.call('ZCARD', KEYS[2])
  if n >= tonumber(ARGV[3]) then reason = 'daily cap: ' .. n .. ' firings in the last 24h, maxPerDay ' .. ARGV[3] end
end
if reason then
  if ARGV[7] == '1' then redis.call('SET', KEYS[1], 'suppressed', 'EX', ARGV[6]) end
  local first = redis.call('SET', KEYS[3], reason, 'EX', ARGV[6], 'NX')
  if first then return {'suppressed', reason, '1'} end
  return {'suppressed', reason, '0'}
end
redis.call('SET', KEYS[1], 'fired', 'EX', ARGV[6])
redis.call('ZADD', KEYS[2], now, ARGV[5])
return {'fired', '', '0'}
`;

export class TriggerStore {
  private readonly base: string;

  constructor(private readonly redis: Redis, prefix: string) {
    this.base = `${prefix}:_meta:trig`;
  }

  /**
   * Claims an event and applies the guards atomically. A suppressed event is
   * consumed when `consume` (a cron tick: it passed) and otherwise tried again
   * at the next evaluation (drift and new data still hold); either way its
   * suppression is reported once (`firstTime`).
   */
  async claim(trigger: string, eventId: string, g: GuardArgs, consume: boolean): Promise<ClaimResult> {
    const r = await this.redis.eval(CLAIM, 3,
      `${this.base}:event:${trigger}:${eventId}`, `${this.base}:firings:${g.model}`, `${this.base}:suppressed:${trigger}:${eventId}`,
      String(g.now), String(g.cooldownMs), String(g.maxPerDay), g.trainingActive ? '1' : '0', `${trigger}:${eventId}`,
      String(EVENT_TTL_S), consume ? '1' : '0') as [string, string, string];
    if (r[0] === 'fired') return { outcome: 'fired' };
    if (r[0] === 'duplicate') return { outcome: 'duplicate' };
    return { outcome: 'suppressed', reason: r[1], firstTime: r[2] === '1' };
  }

  async addPending(e: TriggerEvent): Promise<void> {
    await this.redis.hset(`${this.base}:pending`, `${e.trigger}:${e.eventId}`, JSON.stringify(e));
  }

  async removePending(e: TriggerEvent): Promise<void> {
    await this.redis.hdel(`${this.base}:pending`, `${e.trigger}:${e.eventId}`);
  }

  async pending(): Promise<TriggerEvent[]> {
    const all = await this.redis.hvals(`${this.base}:pending`);
    return all.map((s) => JSON.parse(s) as TriggerEvent);
  }

  /**
   * Appends an event to the bounded list and counts it (the counts back
   * `ortq_trigger_firings_total`; rollbacks also `ortq_rollbacks_total{model}`).
   */
  async record(e: TriggerEvent): Promise<void> {
    const m = this.redis.multi()
      .lpush(`${this.base}:events`, JSON.stringify(e)).ltrim(`${this.base}:events`, 0, MAX_EVENTS - 1)
      .hincrby(`${this.base}:counts`, `${e.trigger}\t${e.outcome}`, 1);
    if (e.outcome === 'rollback' && e.model) m.hincrby(`${this.base}:rollbacks`, e.model, 1);
    await m.exec();
  }

  /** Automatic rollbacks ever recorded, per model. */
  async rollbackCounts(): Promise<Array<{ model: string; count: number }>> {
    const all = await this.redis.hgetall(`${this.base}:rollbacks`);
    return Object.entries(all).map(([model, v]) => ({ model, count: Number(v) }));
  }

  /** Claims `key` once (SET NX): true for the one caller that got it. */
  async once(key: string, value = '1'): Promise<boolean> {
    return (await this.redis.set(`${this.base}:once:${key}`, value, 'EX', EVENT_TTL_S, 'NX')) === 'OK';
  }

  async onceValue(key: string): Promise<string | null> {
    return this.redis.get(`${this.base}:once:${key}`);
  }

  /** Events ever recorded, per trigger and outcome. */
  async counts(): Promise<Array<{ trigger: string; outcome: string; count: number }>> {
    const all = await this.redis.hgetall(`${this.base}:counts`);
    return Object.entries(all).map(([k, v]) => {
      const [trigger, outcome] = k.split('\t');
      return { trigger, outcome, count: Number(v) };
    });
  }

  async events(limit = 100): Promise<TriggerEvent[]> {
    const raw = await this.redis.lrange(`${this.base}:events`, 0, Math.min(limit, MAX_EVENTS) - 1);
    return raw.map((s) => JSON.parse(s) as TriggerEvent);
  }

  async setState(trigger: string, state: TriggerState): Promise<void> {
    const fields = Object.entries(state).filter(([, v]) => v !== undefined) as Array<[string, string]>;
    if (fields.length) await this.redis.hset(`${this.base}:state:${trigger}`, Object.fromEntries(fields));
  }

  async state(trigger: string): Promise<TriggerState> {
    return (await this.redis.hgetall(`${this.base}:state:${trigger}`)) as TriggerState;
  }

  /** Firings of a model in the last 24 hours (ms timestamps), oldest first. */
  async firings(model: string, now = Date.now()): Promise<number[]> {
    const r = await this.redis.zrangebyscore(`${this.base}:firings:${model}`, now - DAY_MS, '+inf', 'WITHSCORES');
    const out: number[] = [];
    for (let i = 1; i < r.length; i += 2) out.push(Number(r[i]));
    return out;
  }
}
