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

/** The default target when neither REDIS_URL nor redis.url is set. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

const HOW_TO_ENCODE = 'percent-encode @ : / # ? % in the user name and password, e.g. with encodeURIComponent';

/**
 * A best guess at the host of a URL that does not parse, for error messages:
 * the text after the last '@' (credentials always come before the host), up to
 * the path. Without an '@' there are no credentials to leak.
 */
function guessHost(url: string): string | undefined {
  const rest = url.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const at = rest.lastIndexOf('@');
  const host = (at >= 0 ? rest.slice(at + 1) : rest).split(/[/?#]/)[0];
  return /^[a-z0-9.[\]:_-]{1,255}$/i.test(host) ? host : undefined;
}

function invalid(problem: string, url: string): OrtqError {
  const host = guessHost(url);
  return new OrtqError('ORTQ_CONFIG_INVALID', `REDIS_URL ${problem}${host ? ` (host ${host})` : ''}; the URL is not shown since it may hold a password`, host ? { host } : undefined);
}

function decode(part: string, what: string, url: string): string | undefined {
  if (!part) return undefined;
  try {
    return decodeURIComponent(part);
  } catch {
    throw invalid(`has a ${what} with a '%' that is not a percent-escape: ${HOW_TO_ENCODE}`, url);
  }
}

/**
 * Parses `redis[s]://[user[:password]@]host[:port][/db]`. A bare password is
 * written `redis://:secret@host`, with URL metacharacters percent-encoded.
 * Fails with ORTQ_CONFIG_INVALID saying what is wrong and, where one can be
 * found, the host: never the URL itself, which may hold a password.
 */
export function parseRedisUrl(url: string): RedisTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    const why = url.includes('@') ? `does not parse as a URL; ${HOW_TO_ENCODE}` : 'does not parse as a URL: expected redis://[user:password@]host[:port][/db]';
    throw invalid(why, url);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw invalid(`must start with redis:// or rediss://, got ${u.protocol}//`, url);
  }
  if (!u.hostname) throw invalid('has no host: expected redis://[user:password@]host[:port][/db]', url);
  // a '#', '?' or '@' after the host means a metacharacter of the password was not encoded
  if (u.search || u.hash || u.pathname.includes('@')) throw invalid(`holds text after the host that is not a database number; ${HOW_TO_ENCODE}`, url);
  const dbPart = u.pathname.replace(/^\/+/, '');
  if (!/^\d*$/.test(dbPart)) throw invalid('database (the path after the host) must be a number such as /0', url);
  const db = dbPart === '' ? 0 : Number(dbPart);
  return {
    host: u.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: u.port === '' ? 6379 : Number(u.port),
    username: decode(u.username, 'user name', url),
    password: decode(u.password, 'password', url),
    db,
    tls: u.protocol === 'rediss:',
  };
}

/**
 * The target of a Redis URL for logs and messages, built from its parsed
 * parts with the user name and password left out entirely:
 * `redis://host:port/db`. A URL that does not parse is never echoed.
 */
export function maskRedisUrl(url: string): string {
  try {
    const t = parseRedisUrl(url);
    const host = t.host.includes(':') ? `[${t.host}]` : t.host;
    return `${t.tls ? 'rediss' : 'redis'}://${host}:${t.port}/${t.db}`;
  } catch {
    const host = guessHost(url);
    return host ? `(unparseable REDIS_URL, host ${host})` : '(unparseable REDIS_URL)';
  }
}
