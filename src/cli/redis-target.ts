import type { OrtqConfig } from '../config.js';
import type { Logger } from '../logger.js';
import { DEFAULT_REDIS_URL, maskRedisUrl, parseRedisUrl } from '../queue/redis-url.js';

/**
 * The line a service logs at start about the Redis it uses: the masked
 * target, and when it is the built-in localhost default, that it is one (a
 * forgotten REDIS_URL then shows at once instead of a silent local queue).
 */
export function redisTargetNote(config: Pick<OrtqConfig, 'redis'>): { redis: string; message: string } {
  parseRedisUrl(config.redis.url); // an invalid URL fails here with ORTQ_CONFIG_INVALID, before any log line
  const redis = maskRedisUrl(config.redis.url);
  const message = config.redis.url === DEFAULT_REDIS_URL
    ? `REDIS_URL is not set: using the default ${redis} (set REDIS_URL or redis.url in the config to change it)`
    : `using Redis at ${redis}`;
  return { redis, message };
}

export function announceRedisTarget(config: Pick<OrtqConfig, 'redis'>, logger: Logger, role: string): void {
  const { redis, message } = redisTargetNote(config);
  logger.info({ redis, prefix: config.redis.prefix, role }, `${role}: ${message}`);
}
