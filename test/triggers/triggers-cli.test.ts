import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TriggerStore } from '../../src/triggers/store.js';
import { linearModel } from '../../src/onnx/model-zoo.js';
import { ModelRepository } from '../../src/repo/model-repository.js';
import { createLogger } from '../../src/logger.js';
import { mkdirSync } from 'node:fs';
import { RedisServer } from '../helpers/redis-server.js';

const BIN = join(resolve(import.meta.dirname, '../..'), 'bin', 'ortq.js');

describe('ortq triggers list', () => {
  let dir: string;
  let srv: RedisServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ortq-triggers-cli-'));
    srv = await RedisServer.start();
    writeFileSync(join(dir, 'retrain.yaml'), [
      'kind: train', 'name: iris-retrain', 'model: iris', 'data: { train: { path: data/train } }',
      'triggers:', '  - cron: "0 3 * * 0"', '  - drift: { stat: psi, threshold: 0.2, consecutiveRuns: 2 }',
      'guards: { cooldown: 6h, maxPerDay: 4 }',
    ].join('\n'));
    writeFileSync(join(dir, 'schedules.yaml'), 'triggers:\n  - job: retrain.yaml\n    triggers: [ { newData: { minNewRows: 100 } } ]\n');
    const redis = new Redis(srv.url);
    await new TriggerStore(redis, 'ortq').record({ at: '2026-12-01T00:00:00.000Z', trigger: 'iris-retrain.drift', job: 'iris-retrain', type: 'drift', eventId: 'e1', outcome: 'suppressed', reason: 'cooldown: last firing 60s ago, cooldown 21600s' });
    redis.disconnect();
  });
  afterAll(async () => {
    await srv.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const ortq = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], {
    cwd: dir, encoding: 'utf8', env: { ...process.env, REDIS_URL: srv.url, MODEL_REPO_PATH: join(dir, 'models'), ORTQ_HOME: join(dir, 'home'), ORTQ_LOG_FORMAT: 'json', ORTQ_LOG_LEVEL: 'warn' },
  });

  it('shows every trigger with its next cron time, and suppressed firings with reasons', () => {
    const r = ortq(['triggers', 'list', '--config', 'schedules.yaml', '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.triggers.map((t: { trigger: string }) => t.trigger)).toEqual(['iris-retrain.cron', 'iris-retrain.drift', 'iris-retrain.newData']);
    expect(report.triggers[0].next).toMatch(/^\d{4}-\d\d-\d\dT03:00:00\.000Z$/);
    expect(new Date(report.triggers[0].next).getUTCDay()).toBe(0);
    expect(report.events[0]).toMatchObject({ outcome: 'suppressed', reason: expect.stringContaining('cooldown') });
    const text = ortq(['triggers', 'list', '--config', 'schedules.yaml']);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain('psi > 0.2 on any feature for 2 run(s)');
    expect(text.stdout).toContain('suppressed');
  });

  it('ortq status shows each model: champion and age, last training, drift, next trigger, pending approvals', async () => {
    const repo = new ModelRepository({ root: join(dir, 'models'), logger: createLogger({ level: 'silent' }) });
    writeFileSync(join(dir, 'm.onnx'), linearModel({ features: 3, seed: 1 }).bytes);
    await repo.save('iris', join(dir, 'm.onnx'), { version: 'v1', labels: { verdict: 'blessed', trainRun: 'iris-retrain-1' }, aliases: ['champion'] });
    mkdirSync(join(dir, 'config'), { recursive: true });
    writeFileSync(join(dir, 'config', 'schedules.yaml'), 'triggers:\n  - job: retrain.yaml\n');
    const r = ortq(['status', '--json']);
    expect(r.status).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.models).toHaveLength(1);
    expect(s.models[0]).toMatchObject({ name: 'iris', champion: { version: 'v1' }, lastTraining: { verdict: 'blessed', version: 'v1' }, pendingApprovals: [] });
    expect(s.models[0].triggers.map((t: { name: string }) => t.name)).toEqual(['iris-retrain.cron', 'iris-retrain.drift']);
    const text = ortq(['status']);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/models:\n.*champion.*\niris\s+v1\s+\S+/);
  });

  it('refuses a cron expression it cannot honour, and a missing job file, at once', () => {
    writeFileSync(join(dir, 'bad.yaml'), 'kind: train\nname: j\nmodel: m\ndata: { train: { path: x } }\ntriggers: [ { cron: "61 * * * *" } ]\n');
    writeFileSync(join(dir, 'bad-schedules.yaml'), 'triggers:\n  - job: bad.yaml\n');
    const bad = ortq(['triggers', 'list', '--config', 'bad-schedules.yaml']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('ORTQ_CONFIG_INVALID');
    expect(bad.stderr).toContain('trigger j.cron');
    writeFileSync(join(dir, 'missing-schedules.yaml'), 'triggers:\n  - job: nowhere.yaml\n');
    const missing = ortq(['triggers', 'list', '--config', 'missing-schedules.yaml']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('nowhere.yaml');
  });
});
