import { existsSync } from 'node:fs';
import type { OrtqConfig } from '../../../config.js';
import { formatAge, modelsOverview, type ModelOverview } from '../../../ops/models-overview.js';
import { overviewSources } from '../../../ops/overview-sources.js';
import type { QueueClient } from '../../../queue/queue-client.js';
import { loadScheduleFile } from '../../../queue/scheduler/schedules.js';
import { ModelRepository } from '../../../repo/model-repository.js';
import { TriggerStore } from '../../../triggers/store.js';
import { loadWatchedJob } from '../../../triggers/watched-jobs.js';
import { formatTable } from '../../output.js';

/**
 * The sources of the models overview for a long-running command (the
 * dashboard): its own Redis connection for trigger state, the train jobs
 * named in the schedules file.
 */
export async function modelSources(config: Readonly<OrtqConfig>, schedulesFile = 'config/schedules.yaml') {
  const { openRedis, connectionFromConfig } = await import('../../../queue/connection.js');
  const conn = connectionFromConfig(config, 'client');
  const redis = await openRedis(conn);
  const store = new TriggerStore(redis, conn.prefix);
  const entries = existsSync(schedulesFile) ? (await loadScheduleFile(schedulesFile)).triggers : [];
  const jobs = (await Promise.all(entries.map((e) => loadWatchedJob(e.job, e).catch(() => null)))).filter((j) => j !== null);
  return { store, overview: overviewSources({ store, jobs }), close: async () => { await redis.quit().catch(() => redis.disconnect()); } };
}

/** Per model: champion and age, last training and verdict, worst drift, next trigger, pending approvals. */
export async function modelsStatus(qc: QueueClient, config: Readonly<OrtqConfig>, schedulesFile = 'config/schedules.yaml'): Promise<ModelOverview[]> {
  const entries = existsSync(schedulesFile) ? (await loadScheduleFile(schedulesFile)).triggers : [];
  const jobs = await Promise.all(entries.map((e) => loadWatchedJob(e.job, e).catch(() => null)));
  const repo = ModelRepository.fromConfig(config);
  return modelsOverview(repo, overviewSources({ store: new TriggerStore(qc.redis, qc.conn.prefix), jobs: jobs.filter((j) => j !== null) }));
}

export function formatModelsStatus(models: ModelOverview[]): string {
  if (!models.length) return '';
  return '\nmodels:\n' + formatTable(['model', 'champion', 'age', 'last training', 'worst drift', 'next trigger', 'pending approval'],
    models.map((m) => {
      const next = m.triggers.map((t) => t.next).filter(Boolean).sort()[0];
      const w = m.drift?.worst;
      return [
        m.name,
        m.champion?.version ?? '-',
        m.champion ? formatAge(m.champion.ageSeconds) : '-',
        m.lastTraining ? `${m.lastTraining.verdict} ${m.lastTraining.version}` : '-',
        w ? `${w.stat} ${w.value.toFixed(3)} ${w.name}` : m.drift ? 'none' : '-',
        next ?? (m.triggers.length ? `${m.triggers.length} watching` : '-'),
        m.pendingApprovals.join(' ') || '-',
      ];
    }));
}
