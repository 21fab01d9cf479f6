import { loadConfig } from '../../../config.js';
import { OrtqError } from '../../../errors.js';
import { rootLogger } from '../../../logger.js';
import { parseQueueList } from '../../../queue/queues.js';
import { WorkerService } from '../../../queue/worker.js';
import type { CliContext } from '../../context.js';
import { announceRedisTarget } from '../../redis-target.js';
import { untilSignal } from '../../signals.js';

export interface WorkerFlags { concurrency?: string; trainConcurrency?: string; queues?: string; repo?: string; lockDuration?: string; stalledInterval?: string; grace?: string }

function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new OrtqError('ORTQ_USAGE', `${flag} expects a positive integer, got "${value}"`);
  return n;
}

/**
 * Runs a worker until SIGTERM or SIGINT: then it stops taking work, lets
 * in-flight shards finish within the grace period (handing back the rest) and
 * returns, so the process exits 0 once its event loop drains.
 */
export async function workerCommand(flags: WorkerFlags, ctx: CliContext): Promise<void> {
  const config = loadConfig();
  const logger = rootLogger();
  announceRedisTarget(config, logger, 'worker');
  const svc = await WorkerService.start({
    config,
    logger,
    // --queues wins over config worker.queues (default: predict)
    queues: flags.queues !== undefined ? parseQueueList(flags.queues) : parseQueueList(config.worker.queues, 'config'),
    concurrency: positiveInt(flags.concurrency, '--concurrency'),
    concurrencyByQueue: { train: positiveInt(flags.trainConcurrency, '--train-concurrency') ?? config.worker.trainConcurrency },
    repo: flags.repo,
    lockDurationMs: positiveInt(flags.lockDuration, '--lock-duration') ?? config.queue.lockDurationMs,
    stalledIntervalMs: positiveInt(flags.stalledInterval, '--stalled-interval') ?? config.queue.stalledIntervalMs,
  });
  const grace = flags.grace !== undefined ? Number(flags.grace) : config.queue.shutdownGraceMs;
  const signal = await untilSignal();
  logger.info({ signal }, 'shutdown requested');
  const closed = await svc.close(grace).catch((err: Error) => {
    logger.error({ err: err.message }, 'shutdown error');
    return { forced: true };
  });
  // a library handle left open must not keep a stopped worker alive forever; after a forced
  // close (Redis unreachable) the grace period is used up, so the process ends at once
  const drainMs = closed.forced ? 250 : 5000;
  ctx.exitIfNotDrained(drainMs, () => logger.warn({ drainMs }, 'event loop did not drain after shutdown; exiting'));
}
