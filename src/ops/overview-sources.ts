import { driftHistory } from '../monitor/drift-history.js';
import { nextCronTime } from '../triggers/report.js';
import type { WatchedJob } from '../triggers/service.js';
import type { TriggerStore } from '../triggers/store.js';
import type { DriftHeadline, OverviewSources, TriggerHeadline } from './models-overview.js';

/** The newest prediction run of a model with its worst drift (largest PSI), from the run ledger. */
export async function latestDrift(model: string): Promise<DriftHeadline | null> {
  const [latest] = await driftHistory(model, 1);
  if (!latest) return null;
  const d = latest.drift;
  if (!d || d.status !== 'computed') return { runId: latest.runId, finishedAt: latest.finishedAt, worst: null };
  const w = d.worst;
  return {
    runId: latest.runId,
    finishedAt: latest.finishedAt,
    worst: w ? { kind: w.section === 'features' ? 'feature' : 'output', name: w.column, stat: 'psi', value: w.psi } : null,
  };
}

/** Where `ortq status` and the dashboard read drift and triggers from. */
export function overviewSources(opts: { store?: TriggerStore; jobs?: WatchedJob[] } = {}): OverviewSources {
  return {
    drift: latestDrift,
    triggers: async (model) => {
      const out: TriggerHeadline[] = [];
      for (const job of opts.jobs ?? []) {
        if (job.model !== model) continue;
        for (const t of job.triggers) {
          const state = opts.store ? await opts.store.state(t.name) : {};
          out.push({
            name: t.name, type: t.type, lastFiredAt: state.lastFiredAt, lastSummary: state.lastSummary,
            next: 'cron' in t.config ? (await nextCronTime(t.config.cron, t.config.timezone)) ?? undefined : undefined,
          });
        }
      }
      return out;
    },
  };
}
