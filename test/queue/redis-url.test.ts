import { describe, expect, it } from 'vitest';
import { isOrtqError } from '../../src/errors.js';
import { connectionFromConfig } from '../../src/queue/connection.js';
import { maskRedisUrl, parseRedisUrl } from '../../src/queue/redis-url.js';

describe('REDIS_URL', () => {
  it('parses host, port, password, db and TLS', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6380')).toEqual({ host: '127.0.0.1', port: 6380, username: undefined, password: undefined, db: 0, tls: false });
    expect(parseRedisUrl('rediss://user:s%40cret@redis.example.com/3')).toEqual({ host: 'redis.example.com', port: 6379, username: 'user', password: 's@cret', db: 3, tls: true });
    expect(parseRedisUrl('redis://:pw@h:1/0').password).toBe('pw');
  });

  it('rejects non-redis URLs and bad db numbers without leaking the password', () => {
    for (const bad of ['http://u:topsecret@h', 'redis://u:topsecret@h/x', 'not a url :topsecret@']) {
      try {
        parseRedisUrl(bad);
        expect.unreachable();
      } catch (err) {
        expect(isOrtqError(err, 'ORTQ_CONFIG_INVALID')).toBe(true);
        expect((err as Error).message).not.toContain('topsecret');
      }
    }
  });

  it('masks by parsing: user and password are left out entirely', () => {
    expect(maskRedisUrl('redis://:hunter2@h:6379/1')).toBe('redis://h:6379/1');
    expect(maskRedisUrl('rediss://bob:hunter2@h')).toBe('rediss://h:6379/0');
    expect(maskRedisUrl('redis://h:6379')).toBe('redis://h:6379/0');
    expect(maskRedisUrl('redis://[::1]:7000/2')).toBe('redis://[::1]:7000/2');
  });

  // Each fragment between metacharacters is distinctive, so no piece of a password can hide in a message.
  const FRAGMENTS = ['Qx7k', 'Vw9m', 'Zr4t', 'Jy2p', 'Lb8n', 'Hd5s', 'Fg3c'];
  const PASSWORDS = [
    'Qx7k@Vw9m:Zr4t/Jy2p#Lb8n?Hd5s%Fg3c',
    'Qx7k@Vw9m@Zr4t',
    'Qx7k/Vw9m#Zr4t',
    'Qx7k:Vw9m?Zr4t%zz',
    'Qx7k%41Vw9m@',
    '@Qx7k:/#?%Vw9m',
  ];
  /** The raw, half-encoded ('@' only) and fully percent-encoded forms of a password in a URL. */
  const urlsFor = (pw: string) => [
    `redis://:${pw}@db.example.com:6390/2`,
    `redis://user:${pw}@db.example.com:6390/2`,
    `redis://:${pw.replace(/@/g, '%40')}@db.example.com:6390/2`,
    `redis://:${encodeURIComponent(pw)}@db.example.com:6390/2`,
    `rediss://ortq:${encodeURIComponent(pw)}@db.example.com:6390/2`,
  ];

  it('never prints any piece of a password full of URL metacharacters, whatever its encoding', () => {
    for (const pw of PASSWORDS) {
      for (const url of urlsFor(pw)) {
        const texts = [maskRedisUrl(url)];
        try {
          parseRedisUrl(url);
        } catch (err) {
          expect(isOrtqError(err, 'ORTQ_CONFIG_INVALID'), String(err)).toBe(true);
          texts.push((err as Error).message, JSON.stringify((err as { details?: unknown }).details ?? null));
        }
        for (const text of texts) {
          for (const f of FRAGMENTS) expect(text, `${url} -> ${text}`).not.toContain(f);
          expect(text).toContain('db.example.com');
        }
      }
    }
  });

  it('a percent-encoded password is decoded exactly and the target masked', () => {
    for (const pw of PASSWORDS) {
      const url = `redis://:${encodeURIComponent(pw)}@db.example.com:6390/2`;
      expect(parseRedisUrl(url).password).toBe(pw);
      expect(maskRedisUrl(url)).toBe('redis://db.example.com:6390/2');
    }
  });

  it('an unparseable URL says what is wrong and names the host, not the URL', () => {
    const err = (() => { try { parseRedisUrl('redis://:Qx7k@Vw9m/Zr4t@cache.local:6379'); } catch (e) { return e as Error; } })();
    expect(err?.message).toMatch(/percent-encode/);
    expect(err?.message).toContain('host cache.local:6379');
    expect(maskRedisUrl('not a url at all')).toBe('(unparseable REDIS_URL)');
  });

  it('worker connections never give up on a request; client ones fail fast; TLS for rediss', () => {
    const w = connectionFromConfig({ redis: { url: 'rediss://:p@h:7000/2', prefix: '{ortq}' } }, 'worker');
    expect(w.redis.maxRetriesPerRequest).toBeNull();
    expect(w.redis.tls).toEqual({ servername: 'h' });
    expect(w.redis.db).toBe(2);
    expect(w.prefix).toBe('{ortq}');
    expect(connectionFromConfig({ redis: { url: 'redis://h', prefix: 'x' } }).redis.maxRetriesPerRequest).toBe(1);
  });
});
