import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isOrtqError } from '../../src/errors.js';
import { connectionFromConfig, openRedis } from '../../src/queue/connection.js';
import { RedisServer } from '../helpers/redis-server.js';

let server: RedisServer;
beforeAll(async () => {
  server = await RedisServer.start({ args: ['--requirepass', 'right-pass'] });
});
afterAll(async () => {
  await server?.destroy();
});

describe('Redis credentials', () => {
  it.each([
    ['a wrong password', 'redis://:wrong-pass@127.0.0.1:PORT'],
    ['no password', 'redis://127.0.0.1:PORT'],
  ])('%s fails at once with ORTQ_REDIS_AUTH, not a retry loop', async (_what, template) => {
    const url = template.replace('PORT', String(server.port));
    const t0 = Date.now();
    const err = await openRedis(connectionFromConfig({ redis: { url, prefix: 'p' } }), { timeoutMs: 10_000 }).catch((e) => e);
    expect(isOrtqError(err, 'ORTQ_REDIS_AUTH')).toBe(true);
    expect(err.retryable).toBe(false);
    expect(err.message).not.toContain('wrong-pass');
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('the right password connects', async () => {
    const c = await openRedis(connectionFromConfig({ redis: { url: `redis://:right-pass@127.0.0.1:${server.port}`, prefix: 'p' } }));
    expect(await c.ping()).toBe('PONG');
    c.disconnect();
  });
});
