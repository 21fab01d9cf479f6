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

  it('masks the password only', () => {
    expect(maskRedisUrl('redis://:hunter2@h:6379/1')).toBe('redis://:***@h:6379/1');
    expect(maskRedisUrl('rediss://bob:hunter2@h')).toBe('rediss://bob:***@h');
    expect(maskRedisUrl('redis://h:6379')).toBe('redis://h:6379');
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
