import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { loadConfig } from '../../../config.js';
import { OrtqError } from '../../../errors.js';
import { rootLogger } from '../../../logger.js';
import { QueueClient } from '../../../queue/queue-client.js';
import { loadScheduleFile } from '../../../queue/scheduler/schedules.js';
import { liveTriggerDeps } from '../../../queue/scheduler/trigger-deps.js';
import { loadTriggerJobs } from '../../../queue/scheduler/trigger-jobs.js';
import { ModelRepository } from '../../../repo/model-repository.js';
import { TriggerService, type WatchedJob } from '../../../triggers/service.js';
import { TriggerStore } from '../../../triggers/store.js';
import { loadWatchedJob, type WatchEntry } from '../../../triggers/watched-jobs.js';
import { printJson } from '../../output.js';

/** The job to fire: a file (with the schedules file's guards for it, if it lists it), or a job name listed there. */
async function findJob(job: string, configFile: string): Promise<WatchedJob> {
  const entries: WatchEntry[] = existsSync(configFile) ? (await loadScheduleFile(configFile)).triggers : [];
  if (existsSync(job)) {
    const entry = entries.find((e) => resolve(e.job) === resolve(job));
    return (await loadTriggerJobs([entry ?? { job, triggers: [] }]))[0];
  }
  for (const e of entries) {
    const w = await loadWatchedJob(e.job, e).catch(() => null);
    if (w?.name === job) return (await loadTriggerJobs([e]))[0];
  }
  throw new OrtqError('ORTQ_USAGE', `"${job}" is neither a job file nor the name of a train job listed under triggers: in ${configFile}`);
}

function who(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

/**
 * `ortq train trigger JOB --reason …`: one firing by hand, through the
 * trigger store and its guards like any trigger. Fired: prints the run id
 * (the run goes through the queue). Suppressed: recorded with its reason and
 * ORTQ_TRIGGER_SUPPRESSED (exit 1).
 */
export async function trainTriggerCommand(jobArg: string, flags: { reason: string; config: string; repo?: string; json?: boolean }): Promise<void> {
  const reason = flags.reason.trim();
  if (!reason) throw new OrtqError('ORTQ_USAGE', '--reason must say why the model is retrained');
  const config = loadConfig();
  const logger = rootLogger();
  const job = await findJob(jobArg, flags.config);
  const qc = await QueueClient.open(config);
  try {
    const repo = ModelRepository.fromConfig(config, flags.repo);
    const svc = new TriggerService(new TriggerStore(qc.redis, qc.conn.prefix), [job], liveTriggerDeps(qc, { config, repo, logger }), { logger });
    const r = await svc.fireManual(job, reason, who());
    if (flags.json) printJson({ job: job.name, model: job.model, ...r });
    if (r.outcome === 'fired') {
      if (!flags.json) {
        const note = r.enqueue === 'existing' ? ' (already trained on this data: the finished run stands)' : r.enqueue === 'in-progress' ? ' (already in progress)' : '';
        process.stdout.write(`fired ${job.name} (${r.eventId}): run ${r.runId}${note}\n`);
      }
      return;
    }
    if (r.outcome === 'suppressed') {
      throw new OrtqError('ORTQ_TRIGGER_SUPPRESSED', `${job.name}: firing suppressed: ${r.reason}`, { job: job.name, eventId: r.eventId, reason: r.reason });
    }
    if (r.outcome === 'error') throw new OrtqError(r.code as never, r.message);
    throw new OrtqError('ORTQ_INTERNAL', `${job.name}: unexpected outcome ${r.outcome}`);
  } finally {
    await qc.close();
  }
}
