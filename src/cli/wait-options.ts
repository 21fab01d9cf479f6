import { OrtqError } from '../errors.js';
import { rootLogger } from '../logger.js';
import type { FollowNotice } from '../queue/follow.js';
import { parseDuration } from '../triggers/duration.js';

/** `--timeout 90s` → milliseconds; undefined when absent. Fails with ORTQ_USAGE naming the flag. */
export function waitTimeoutMs(flag: string | undefined): number | undefined {
  if (flag === undefined) return undefined;
  const ms = parseDuration(flag);
  if (ms === null || ms <= 0) throw new OrtqError('ORTQ_USAGE', `--timeout expects a duration such as 90s, 15m or 2h, got "${flag}"`);
  return ms;
}

/** Prints what a waiting command should know (no worker, Redis gone and back) as log lines on stderr. */
export function logFollowNotice(runId: string): (n: FollowNotice) => void {
  const log = rootLogger().child({ runId });
  return (n) => {
    switch (n.kind) {
      case 'no-worker':
        log.warn({ queue: n.queue }, `no worker is connected to queue "${n.queue}": run ${runId} waits until one starts ("ortq worker --queues ${n.queue}")`);
        break;
      case 'worker-back':
        log.info({ queue: n.queue, workers: n.workers }, `a worker connected to queue "${n.queue}"`);
        break;
      case 'redis-lost':
        log.warn({ err: n.error }, 'lost the connection to Redis; still waiting for the run');
        break;
      case 'redis-back':
        log.info('Redis connection restored');
        break;
    }
  };
}
