import { Counter, Gauge, type Registry } from 'prom-client';
import type { ModelOverview } from './models-overview.js';

export interface ModelMetricSources {
  models: () => Promise<ModelOverview[]>;
  /** trigger events ever recorded, per trigger and outcome (from Redis: the same for every scraper) */
  triggerCounts?: () => Promise<Array<{ trigger: string; outcome: string; count: number }>>;
  /** automatic rollbacks ever recorded, per model (from Redis, like the trigger counts) */
  rollbackCounts?: () => Promise<Array<{ model: string; count: number }>>;
}

/**
 * Model-level gauges and counters, read on scrape from the repository and
 * Redis (like the queue counts), so every dashboard reports the same values.
 */
export function registerModelMetrics(registry: Registry, src: ModelMetricSources): void {
  let pending: Promise<ModelOverview[]> | null = null;
  // one read of the repository per scrape, shared by the gauges below
  const models = () => {
    pending ??= src.models().finally(() => setTimeout(() => { pending = null; }, 0));
    return pending;
  };
  new Gauge({
    name: 'ortq_champion_age_seconds', help: 'seconds since the champion alias last moved', labelNames: ['model'], registers: [registry],
    async collect() {
      this.reset();
      for (const m of await models()) if (m.champion) this.set({ model: m.name }, m.champion.ageSeconds);
    },
  });
  new Gauge({
    name: 'ortq_champion_info', help: 'the champion version of each model (value 1)', labelNames: ['model', 'version'], registers: [registry],
    async collect() {
      this.reset();
      for (const m of await models()) if (m.champion) this.set({ model: m.name, version: m.champion.version }, 1);
    },
  });
  new Gauge({
    name: 'ortq_pending_approvals', help: 'candidates waiting for `ortq models approve` or `reject`', labelNames: ['model'], registers: [registry],
    async collect() {
      this.reset();
      for (const m of await models()) this.set({ model: m.name }, m.pendingApprovals.length);
    },
  });
  const counts = src.triggerCounts;
  if (counts) {
    new Counter({
      name: 'ortq_trigger_firings_total', help: 'retraining trigger events, by trigger and outcome (fired, suppressed, error)',
      labelNames: ['trigger', 'outcome'], registers: [registry],
      async collect() {
        this.reset();
        for (const c of await counts()) if (c.outcome !== 'enqueued' && c.outcome !== 'rollback') this.inc({ trigger: c.trigger, outcome: c.outcome }, c.count);
      },
    });
  }
  const rollbacks = src.rollbackCounts;
  if (rollbacks) {
    new Counter({
      name: 'ortq_rollbacks_total', help: 'automatic rollbacks of a champion whose first prediction runs drifted beyond promote.rollback',
      labelNames: ['model'], registers: [registry],
      async collect() {
        this.reset();
        for (const c of await rollbacks()) this.inc({ model: c.model }, c.count);
      },
    });
  }
}
