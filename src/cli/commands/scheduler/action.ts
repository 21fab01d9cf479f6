import { loadConfig } from '../../../config.js';
import { OrtqError } from '../../../errors.js';
import { rootLogger } from '../../../logger.js';
import { QueueClient } from '../../../queue/queue-client.js';
import { loadScheduleFile } from '../../../queue/scheduler/schedules.js';
import { SchedulerService } from '../../../queue/scheduler/scheduler.js';
import { liveTriggerDeps } from '../../../queue/scheduler/trigger-deps.js';
import { loadTriggerJobs } from '../../../queue/scheduler/trigger-jobs.js';
import { ModelRepository } from '../../../repo/model-repository.js';
import { parseDuration } from '../../../triggers/duration.js';
import { TriggerService } from '../../../triggers/service.js';
import { TriggerStore } from '../../../triggers/store.js';
import { untilSignal } from '../../signals.js';
import type { CliContext } from '../../context.js';
import { announceRedisTarget } from '../../redis-target.js';

export interface SchedulerFlags { config: string; repo?: string; poll: string }

/**
 * Runs the scheduler until SIGTERM or SIGINT, then returns so the process
 * exits 0: cron schedules, and the retraining triggers (with the rollback
 * watch) of the train jobs listed under `triggers:`. Every job file, spec and
 * cron expression is checked before anything is armed.
 */
export async function schedulerCommand(flags: SchedulerFlags, ctx: CliContext): Promise<void> {
  const config = loadConfig();
  const logger = rootLogger();
  const pollMs = parseDuration(flags.poll);
  if (pollMs === null || pollMs < 1000) throw new OrtqError('ORTQ_USAGE', `--poll expects a duration of at least 1s (e.g. 30s, 5m), got "${flags.poll}"`);
  const { schedules, triggers: entries } = await loadScheduleFile(flags.config);
  const jobs = await loadTriggerJobs(entries);
  announceRedisTarget(config, logger, 'scheduler');
  const qc = await QueueClient.open(config, { role: 'service', timeoutMs: 10_000 });
  const repo = ModelRepository.fromConfig(config, flags.repo);
  const svc = new SchedulerService(qc, schedules, { config, logger, repo: flags.repo });
  const triggers = jobs.length
    ? new TriggerService(new TriggerStore(qc.redis, qc.conn.prefix), jobs, liveTriggerDeps(qc, { config, repo, logger }), { logger, pollMs, repo })
    : null;
  await svc.start();
  await triggers?.start();
  logger.info({ schedules: schedules.map((s) => s.name), triggers: jobs.flatMap((j) => j.triggers.map((t) => t.name)) }, 'scheduler started');
  const signal = await untilSignal();
  logger.info({ signal }, 'scheduler stopping');
  await triggers?.stop();
  await svc.stop();
  await qc.close();
  ctx.exitIfNotDrained(5000);
}
