import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { QueueClient } from '../../src/queue/queue-client.js';
import { readPlan } from '../../src/runs/store.js';
import type { TrainPlan } from '../../src/kinds/train/types.js';
import { TriggerStore } from '../../src/triggers/store.js';
import { RedisServer } from '../helpers/redis-server.js';
import { LoopScratch } from '../triggers/loop-fixtures.js';

const BIN = join(resolve(import.meta.dirname, '../..'), 'bin', 'ortq.js');

/**
 * `ortq train trigger JOB --reason …` as a user runs it: a CLI process against
 * a real redis-server, enqueueing a real train run (planned from the iris
 * files), then suppressed by its guards with the reason, exit 1.
 */
describe('ortq train trigger (CLI process, real redis-server)', () => {
  let srv: RedisServer;
  let s: LoopScratch;
  let qc: QueueClient;
  beforeAll(async () => {
    srv = await RedisServer.start();
    s = new LoopScratch();
    s.jobFile('retrain.yaml', { guards: { cooldown: '6h', maxPerDay: 4 } });
    s.jobFile('retrain-b.yaml', { name: 'iris-retrain-b', guards: { cooldown: '1s', maxPerDay: 4 } });
    qc = await QueueClient.open(loadConfig({ env: { ...process.env, REDIS_URL: srv.url } }));
  });
  afterAll(async () => {
    await qc?.close();
    await srv?.destroy();
    s?.cleanup();
  });

  const ortq = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], {
    cwd: s.dir, encoding: 'utf8', timeout: 60_000,
    env: { ...process.env, REDIS_URL: srv.url, MODEL_REPO_PATH: s.repoRoot, ORTQ_HOME: s.home, ORTQ_LOG_FORMAT: 'json', ORTQ_LOG_LEVEL: 'error' },
  });

  it('fires: exit 0, the event and run ids in the output (--json and text), the train run queued with the reason as evidence', async () => {
    const r = ortq(['train', 'trigger', 'retrain.yaml', '--reason', 'new labels arrived', '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { outcome: string; eventId: string; runId: string; job: string; model: string };
    expect(out).toMatchObject({ outcome: 'fired', job: 'iris-retrain', model: 'iris', eventId: expect.stringMatching(/^manual-/), runId: expect.any(String) });
    const rec = await qc.store.get(out.runId);
    expect(rec).toMatchObject({ kind: 'train', status: 'queued' });
    const plan = await readPlan<TrainPlan & { runDir: string }>(rec!.runDir);
    expect(plan.job.evidence).toMatchObject({ trigger: 'iris-retrain.manual', type: 'manual', eventId: out.eventId, reason: 'new labels arrived' });
    const events = await new TriggerStore(qc.redis, qc.conn.prefix).events();
    expect(events[0]).toMatchObject({ outcome: 'fired', eventId: out.eventId, runId: out.runId, evidence: { reason: 'new labels arrived' } });
    await qc.store.finish(out.runId, 'completed', []);

    // text output: another job of the model, whose own cooldown (1 s) has passed since that firing
    await new Promise((r) => setTimeout(r, 1200));
    const t = ortq(['train', 'trigger', 'retrain-b.yaml', '--reason', 'by hand']);
    expect(t.status, t.stderr).toBe(0);
    const m = t.stdout.match(/^fired iris-retrain-b \((manual-[0-9a-f]+)\): run (\S+)\n$/);
    expect(m, t.stdout + t.stderr).not.toBeNull();
    expect(await qc.store.get(m![2])).toMatchObject({ kind: 'train' });
    await qc.store.finish(m![2], 'completed', []);
  });

  it('suppressed by cooldown: exit 1, ORTQ_TRIGGER_SUPPRESSED with the reason, recorded as an event', async () => {
    const t = ortq(['train', 'trigger', 'retrain.yaml', '--reason', 'once more']);
    expect(t.status).toBe(1);
    expect(t.stdout).toBe('');
    expect(t.stderr).toContain('ORTQ_TRIGGER_SUPPRESSED');
    expect(t.stderr).toMatch(/iris-retrain: firing suppressed: cooldown: last firing \d+s ago, cooldown 21600s/);
    const j = ortq(['train', 'trigger', 'retrain.yaml', '--reason', 'and again', '--json']);
    expect(j.status).toBe(1);
    expect(JSON.parse(j.stdout)).toMatchObject({ outcome: 'suppressed', job: 'iris-retrain', eventId: expect.stringMatching(/^manual-/), reason: expect.stringMatching(/^cooldown: /) });
    expect(j.stderr).toContain('ORTQ_TRIGGER_SUPPRESSED');
    const events = await new TriggerStore(qc.redis, qc.conn.prefix).events();
    expect(events.slice(0, 2)).toMatchObject([
      { outcome: 'suppressed', trigger: 'iris-retrain.manual', reason: expect.stringMatching(/^cooldown: /), evidence: { reason: 'and again' } },
      { outcome: 'suppressed', trigger: 'iris-retrain.manual', reason: expect.stringMatching(/^cooldown: /), evidence: { reason: 'once more' } },
    ]);
  });
});
