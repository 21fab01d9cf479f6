import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { QueueClient } from '../../src/queue/queue-client.js';
import { RedisServer } from '../helpers/redis-server.js';
import { makeFixture, ortq, startWorker, stopProc, until, type Proc, type QueueFixture } from './fixtures.js';

// issue 11 item 1: `ortq enqueue --wait` through a Redis restart, --timeout, and no worker
let server: RedisServer;
const procs: Proc[] = [];
const clients: QueueClient[] = [];
const dirs: string[] = [];

beforeAll(async () => { server = await RedisServer.start(); });
afterAll(async () => {
  await Promise.all(procs.map((p) => stopProc(p, 'SIGKILL')));
  await Promise.all(clients.map((c) => c.close()));
  await server?.destroy();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function fixture(opts?: Parameters<typeof makeFixture>[1]): Promise<QueueFixture> {
  const fx = await makeFixture(server.url, opts);
  dirs.push(fx.dir);
  return fx;
}

function spawned(p: Proc): Proc {
  procs.push(p);
  return p;
}

describe('enqueue --wait under Redis faults (real redis-server, worker, onnxruntime)', () => {
  it('follows the run through a 5 s Redis outage and returns its result', async () => {
    const fx = await fixture();
    const qc = await QueueClient.open(loadConfig({ env: fx.env, cwd: fx.dir }));
    clients.push(qc);
    const w = spawned(await startWorker(fx));
    const e = spawned(ortq(fx, ['enqueue', fx.jobFile, '--wait', '--json']));
    await until(async () => {
      const [rec] = await qc.store.recent(1);
      return (rec?.shardsDone ?? 0) >= 3;
    }, 150_000, 'first shards');
    await server.restart(5000);
    expect(await e.exit, e.err()).toBe(0);
    const summary = JSON.parse(e.out());
    expect(summary).toMatchObject({ status: 'completed', rows: { read: fx.rows, written: fx.rows } });
    expect(e.err()).not.toContain('ORTQ_INTERNAL');
    expect(await stopProc(w)).toBe(0);
  }, 300_000);

  it('says within seconds that no worker serves the queue, and --timeout exits with the run id and state', async () => {
    const fx = await fixture({ files: 1, rowsPerFile: 300 });
    const t0 = Date.now();
    const e = spawned(ortq(fx, ['enqueue', fx.jobFile, '--wait', '--no-progress', '--timeout', '10s']));
    await until(() => /no worker/i.test(e.err()), 90_000, 'no-worker notice');
    const noticeAt = Date.now() - t0;
    const code = await e.exit;
    const exitAt = Date.now() - t0;
    expect(code).not.toBe(0);
    expect(e.err()).toMatch(/ORTQ_WAIT_TIMEOUT/);
    expect(e.err()).toMatch(/run [A-Za-z0-9_.=@+-]+ is still queued/);
    // the notice comes within seconds of waiting, well before the 10 s timeout ends the wait
    expect(exitAt - noticeAt).toBeGreaterThan(3000);
  }, 150_000);

  it('rejects a malformed --timeout', async () => {
    const fx = await fixture({ files: 1, rowsPerFile: 100 });
    const e = spawned(ortq(fx, ['enqueue', fx.jobFile, '--wait', '--timeout', 'soon']));
    expect(await e.exit).toBe(2);
    expect(e.err()).toMatch(/ORTQ_USAGE.*--timeout/);
  }, 90_000);
});
