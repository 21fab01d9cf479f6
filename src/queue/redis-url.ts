import { OrtqError } from '../errors.js';

/** Where a `redis://` or `rediss://` URL points, as ioredis options. */
export interface RedisTarget {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db: number;
  tls: boolean;
}

/**
 * Parses `redis[s]://[user[:password]@]host[:port][/db]`. A bare password is
 * written `redis://:secret@host`. Fails with ORTQ_CONFIG_INVALID naming the
 * masked URL, never the password.
 */
export function parseRedisUrl(url: string): RedisTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new OrtqError('ORTQ_CONFIG_INVALID', `REDIS_URL is not a URL: ${maskRedisUrl(url)}`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new OrtqError('ORTQ_CONFIG_INVALID', `REDIS_URL must start with redis:// or rediss://, got ${maskRedisUrl(url)}`);
  }
  const dbPart = u.pathname.replace(/^\/+/, '');
  const db = dbPart === '' ? 0 : Number(dbPart);
  if (!Number.isInteger(db) || db < 0) {
    throw new OrtqError('ORTQ_CONFIG_INVALID', `REDIS_URL database must be a number, got "${dbPart}" in ${maskRedisUrl(url)}`);
  }
  const port = u.port === '' ? 6379 : Number(u.port);
  return {
    host: u.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1',
    port,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db,
    tls: u.protocol === 'rediss:',
  };
}

/** The URL with its password replaced by `***`, safe for logs and error messages. */
export function maskRedisUrl(url: string): string {
  // a regex rather than URL so that even unparsable input gets masked
  const masked = url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^:@/]*):([^@/]*)@/i, (_m, scheme: string, user: string) => `${scheme}${user}:***@`);
  return masked === url ? url.replace(/:[^:@/]+@/, ':***@') : masked;
}
