import { createTask } from 'node-cron';
import type { WatchedJob } from './service.js';
import type { TriggerEvent, TriggerState, TriggerStore } from './store.js';

/** The next fire time of a cron expression, as node-cron (which fires it) computes it. */
export async function nextCronTime(expr: string, timezone: string): Promise<string | null> {
  const task = createTask(expr, () => undefined, { timezone });
  try {
    return task.getNextRuns(1)[0]?.toISOString() ?? null;
  } finally {
    await task.destroy();
  }
}

export interface TriggerRow extends TriggerState {
  trigger: string;
  job: string;
  model: string;
  type: string;
  condition: string;
  next: string | null;
}

export interface TriggersReport {
  triggers: TriggerRow[];
  /** recent events, newest first: fired, suppressed (with reasons), errors */
  events: TriggerEvent[];
  pending: TriggerEvent[];
}

function condition(t: WatchedJob['triggers'][number]): string {
  const c = t.config;
  if ('cron' in c) return `cron "${c.cron}" ${c.timezone}`;
  if ('drift' in c) {
    const d = c.drift;
    return `${d.stat} > ${d.threshold} on ${d.features === 'any' ? 'any feature' : d.features.join(',')}${d.outputs !== 'none' ? ` or ${d.outputs === 'any' ? 'any output' : d.outputs.join(',')}` : ''} for ${d.consecutiveRuns} run(s)${d.model ? ` of ${d.model}` : ''}`;
  }
  return `new data${c.newData.path ? ` in ${c.newData.path}` : ''}${c.newData.minNewRows ? `, ≥ ${c.newData.minNewRows} new rows` : ''}`;
}

/** What `ortq triggers list` shows: each trigger's state and the recent events. */
export async function triggersReport(store: TriggerStore, jobs: WatchedJob[], opts: { events?: number } = {}): Promise<TriggersReport> {
  const rows: TriggerRow[] = [];
  for (const job of jobs) {
    for (const t of job.triggers) {
      rows.push({
        trigger: t.name, job: job.name, model: job.model, type: t.type, condition: condition(t),
        next: 'cron' in t.config ? await nextCronTime(t.config.cron, t.config.timezone) : null,
        ...(await store.state(t.name)),
      });
    }
  }
  return { triggers: rows, events: await store.events(opts.events ?? 50), pending: await store.pending() };
}
