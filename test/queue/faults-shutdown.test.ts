import { rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer, freePort } from '../helpers/redis-server.js';
import { makeFixture, ortq, startWorker, stopProc, until, type Proc, type QueueFixture } from './fixtures.js';

// issue 11 item 2: SIGTERM while Redis is unreachable, credentials checked at start, bounded CLI failures
let server: RedisServer;
let locked: RedisServer;
const procs: Proc[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  [server, locked] = await Promise.all([RedisServer.start(), RedisServer.start({ args: ['--requirepass', 'right-pass'] })]);
});
afterAll(async () => {
  await Promise.all(procs.map((p) => stopProc(p, 'SIGKILL')));
  await Promise.all([server?.destroy(), locked?.destroy()]);
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function fixture(url: string): Promise<QueueFixture> {
  const fx = await makeFixture(url, { files: 1, rowsPerFile: 300 });
  dirs.push(fx.dir);
  return fx;
}

function spawned(p: Proc): Proc {
  procs.push(p);
  return p;
}

/** A TCP server that accepts connections and never answers: Redis hung, or a firewall that swallows packets. */
async function silentServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const srv: Server = createServer((s) => { sockets.add(s); s.on('error', () => {}); });
  const port = await freePort();
  await new Promise<void>((resolve) => srv.listen(port, '127.0.0.1', resolve));
  return { port, close: () => new Promise((resolve) => { for (const s of sockets) s.destroy(); srv.close(() => resolve()); }) };
}

describe('worker and CLI under Redis faults', () => {
  it('a worker ends within its grace period on SIGTERM while Redis is down', async () => {
    const fx = await fixture(server.url);
    const w = spawned(await startWorker(fx, ['--grace', '2000']));
    await server.stop();
    try {
      await until(() => /Redis connection error|worker error/.test(w.err()), 20_000, 'the worker noticing');
      const t0 = Date.now();
      w.child.kill('SIGTERM');
      const code = await Promise.race([w.exit, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 15_000))]);
      const took = Date.now() - t0;
      expect(code, w.err()).not.toBe('hung');
      // grace 2 s, plus the time a loaded test machine needs to tear down a Node process
      expect(took).toBeLessThan(6000);
      expect(w.err()).toContain('worker stopped');
    } finally {
      await server.restart();
    }
  }, 60_000);

  it.each([['worker', []], ['scheduler', ['--config', 'schedules.yaml']]] as const)(
    'the %s with a wrong password exits non-zero at once with ORTQ_REDIS_AUTH', async (command, args) => {
      const fx = await fixture(`redis://:wrong-pass@127.0.0.1:${locked.port}`);
      await writeFile(join(fx.dir, 'schedules.yaml'), `schedules:\n  - name: hourly\n    cron: "0 * * * *"\n    job: job.yaml\n`);
      const p = spawned(ortq(fx, [command, ...args]));
      const code = await Promise.race([p.exit, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 60_000))]);
      expect(code, p.err()).not.toBe('hung');
      expect(code).not.toBe(0);
      expect(p.err()).toContain('ORTQ_REDIS_AUTH');
      expect(p.err()).not.toMatch(/worker started|scheduler started/);
      expect(p.err() + p.out()).not.toContain('wrong-pass');
    }, 90_000);

  it.each([
    ['status', () => ['status']],
    ['enqueue', (fx: QueueFixture) => ['enqueue', fx.jobFile]],
    ['runs retry', () => ['runs', 'retry', 'qscore-0000']],
  ] as const)('%s against a Redis that never answers fails in bounded time with the masked target', async (_name, args) => {
    // the bound is the CLI's own (seconds); the generous cut-off leaves room for a loaded test machine
    const silent = await silentServer();
    try {
      const fx = await fixture(`redis://:s3cret-pw@127.0.0.1:${silent.port}`);
      const p = spawned(ortq(fx, args(fx)));
      const code = await Promise.race([p.exit, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 60_000))]);
      expect(code, p.err()).not.toBe('hung');
      expect(code).toBe(1);
      expect(p.err()).toContain('ORTQ_REDIS_UNAVAILABLE');
      expect(p.err()).toContain(`redis://127.0.0.1:${silent.port}`); // the target is masked by leaving the credentials out
      expect(p.err()).not.toContain('s3cret-pw');
    } finally {
      await silent.close();
    }
  }, 90_000);
});
