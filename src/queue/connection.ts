import type { RedisOptions } from 'bullmq';
import { Redis, type RedisOptions as IORedisOptions } from 'ioredis';
import type { OrtqConfig } from '../config.js';
import { OrtqError } from '../errors.js';
import type { Logger } from '../logger.js';
import { maskRedisUrl, parseRedisUrl } from './redis-url.js';

/** Everything a queue object needs to reach Redis. Plain data, safe to pass around. */
export interface QueueConnection {
  url: string;
  /** BullMQ key prefix; `{ortq}` keeps all keys in one Redis Cluster slot */
  prefix: string;
  /** ioredis options for BullMQ-owned connections */
  redis: RedisOptions;
}

/** The longest a CLI command waits for one Redis answer. */
export const CLIENT_COMMAND_TIMEOUT_MS = 15_000;

/**
 * Builds connection options from config. `role: 'worker'` sets
 * `maxRetriesPerRequest: null` (BullMQ requires it for blocking commands) and
 * reconnects forever; `role: 'client'` (CLI commands) fails fast, and gives up on a
 * command Redis does not answer within CLIENT_COMMAND_TIMEOUT_MS.
 */
export function connectionFromConfig(
  config: Pick<OrtqConfig, 'redis'>,
  role: 'worker' | 'client' = 'client',
): QueueConnection {
  const t = parseRedisUrl(config.redis.url);
  const redis: RedisOptions = {
    host: t.host,
    port: t.port,
    username: t.username,
    password: t.password,
    db: t.db,
    ...(t.tls ? { tls: { servername: t.host } } : {}),
    maxRetriesPerRequest: role === 'worker' ? null : 1,
    // a command (not a blocking read) that a hung Redis never answers fails instead of waiting forever
    ...(role === 'client' ? { commandTimeout: CLIENT_COMMAND_TIMEOUT_MS } : {}),
    // reconnect with capped backoff: 50 ms, 100 ms, ... up to 2 s
    retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
  };
  return Object.freeze({ url: config.redis.url, prefix: config.redis.prefix, redis });
}

/**
 * Opens a plain ioredis client and waits until it answers PING. Fails with
 * ORTQ_REDIS_UNAVAILABLE (password masked) after `timeoutMs` instead of
 * retrying forever; once connected it reconnects like any client.
 */
export async function openRedis(conn: QueueConnection, opts: { timeoutMs?: number } = {}): Promise<Redis> {
  const timeoutMs = opts.timeoutMs ?? 3000;
  const client = new Redis({ ...(conn.redis as IORedisOptions), lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: timeoutMs });
  let lastError: Error | undefined;
  const onError = (err: Error) => { lastError = err; };
  client.on('error', onError);
  const deadline = Date.now() + timeoutMs;
  try {
    await withTimeout(client.connect(), timeoutMs);
    await withTimeout(client.ping(), Math.max(100, deadline - Date.now()));
  } catch (err) {
    client.disconnect();
    const why = (lastError ?? (err as Error))?.message ?? 'no answer';
    if (isAuthError(lastError ?? err)) {
      throw new OrtqError('ORTQ_REDIS_AUTH', `Redis at ${maskRedisUrl(conn.url)} refused the credentials: ${why}`, { url: maskRedisUrl(conn.url) });
    }
    throw new OrtqError('ORTQ_REDIS_UNAVAILABLE', `cannot reach Redis at ${maskRedisUrl(conn.url)}: ${why}`, {
      url: maskRedisUrl(conn.url),
    });
  }
  client.off('error', onError);
  // later blips are logged by whoever owns the client; an unhandled 'error' would crash
  client.on('error', () => {});
  return client;
}

/** A wrong or missing password (or ACL user): retrying cannot fix it. */
export function isAuthError(err: unknown): boolean {
  const msg = err instanceof Error ? err.message : String(err ?? '');
  return /\b(WRONGPASS|NOAUTH|NOPERM)\b|invalid password|invalid username-password/i.test(msg);
}

/** Rejects with `timed out after <ms> ms` when `p` has not settled by then. */
export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    p.then((v) => { clearTimeout(t); resolve(v); }, (e) => { clearTimeout(t); reject(e); });
  });
}

/**
 * BullMQ loses jobs when Redis evicts keys: warn at start when
 * `maxmemory-policy` is anything but `noeviction`. Returns the policy.
 */
export async function checkEvictionPolicy(client: Redis, logger: Logger): Promise<string | null> {
  try {
    const res = (await client.config('GET', 'maxmemory-policy')) as string[];
    const policy = res?.[1] ?? null;
    if (policy && policy !== 'noeviction') {
      logger.warn({ policy }, `Redis maxmemory-policy is "${policy}"; set it to "noeviction" or queued jobs may be evicted`);
    }
    return policy;
  } catch {
    // managed Redis services often disable CONFIG; nothing to check then
    return null;
  }
}
