import { loadConfig } from '../../../config.js';
import { rootLogger } from '../../../logger.js';
import { QueueClient } from '../../../queue/queue-client.js';
import { loadSchedules } from '../../../queue/scheduler/schedules.js';
import { SchedulerService } from '../../../queue/scheduler/scheduler.js';
import { untilSignal } from '../../signals.js';
import type { CliContext } from '../../context.js';
import { announceRedisTarget } from '../../redis-target.js';

/** Runs the scheduler until SIGTERM or SIGINT, then returns so the process exits 0. */
export async function schedulerCommand(flags: { config: string; repo?: string }, ctx: CliContext): Promise<void> {
  const config = loadConfig();
  const logger = rootLogger();
  const schedules = await loadSchedules(flags.config);
  announceRedisTarget(config, logger, 'scheduler');
  const qc = await QueueClient.open(config, { role: 'service', timeoutMs: 10_000 });
  const svc = new SchedulerService(qc, schedules, { config, logger, repo: flags.repo });
  await svc.start();
  logger.info({ schedules: schedules.map((s) => s.name) }, 'scheduler started');
  const signal = await untilSignal();
  logger.info({ signal }, 'scheduler stopping');
  await svc.stop();
  await qc.close();
  ctx.exitIfNotDrained(5000);
}
