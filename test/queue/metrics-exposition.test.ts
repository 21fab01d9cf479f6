import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import parsePrometheusTextFormat, { type ParsedFamily } from 'parse-prometheus-text-format';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { DriftGauges } from '../../src/monitor/drift-metrics.js';
import { startDashboard, type Dashboard } from '../../src/queue/dashboard.js';
import { WorkerMetrics } from '../../src/queue/metrics.js';
import { QueueClient } from '../../src/queue/queue-client.js';
import { loadConfig } from '../../src/config.js';
import { RedisServer } from '../helpers/redis-server.js';

// issue 11 item 14: the worker's and the dashboard's /metrics follow Prometheus naming
// (checked with a text-format parser, and with promtool where it is installed), and the
// run metrics count in Redis, once per run, whatever process finishes it

const prefix = 'expo';
const logger = createLogger({ level: 'silent' });
const promtool = spawnSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' }).stdout.trim() || null;
let server: RedisServer;
let qc: QueueClient;
let dashboard: Dashboard;

beforeAll(async () => {
  server = await RedisServer.start();
  qc = await QueueClient.open(loadConfig({ env: { REDIS_URL: server.url, ORTQ_REDIS_PREFIX: prefix }, cwd: process.cwd() }));
  dashboard = await startDashboard({
    config: { redis: { url: server.url, prefix } }, port: 0, logger,
    models: async () => [],
    triggerCounts: async () => [{ trigger: 'iris-retrain.drift', outcome: 'fired', count: 2 }],
    rollbackCounts: async () => [{ model: 'iris', count: 1 }],
  });
}, 30_000);

afterAll(async () => {
  await dashboard?.close();
  await qc?.close();
  await server?.destroy();
});

async function claim(runId: string, jobName: string, kind = 'predict'): Promise<void> {
  const r = await qc.store.claim({
    runId, kind, runDir: `/nowhere/${runId}`, jobName, model: 'iris@v1', digest: 'd', shards: 1, totalRows: 10,
    enqueuedAt: new Date().toISOString(), schedule: null,
  }, { allowCompleted: true });
  expect(r.claimed).toBe(true);
}

async function scrape(): Promise<string> {
  const res = await fetch(new URL('/metrics', dashboard.url));
  expect(res.status).toBe(200);
  return res.text();
}

/** The conventions promtool lints, checked on parsed families so that a parser failure fails the test too. */
function checkConventions(text: string): ParsedFamily[] {
  const families = parsePrometheusTextFormat(text);
  expect(families.length).toBeGreaterThan(10);
  for (const f of families) {
    expect(f.name, f.name).toMatch(/^[a-z_][a-z0-9_]*$/);
    if (f.type === 'COUNTER') expect(f.name, `counter ${f.name}`).toMatch(/_total$/);
    else expect(f.name, `${f.type.toLowerCase()} ${f.name}`).not.toMatch(/_total$/);
    // base units in names: seconds and bytes, never milliseconds or minutes
    expect(f.name, f.name).not.toMatch(/_(ms|millis|milliseconds|minutes|hours|kb|mb)(_|$)/);
    // the process metrics are the standard unprefixed ones
    expect(f.name, f.name).not.toMatch(/^ortq_(worker|dashboard)_/);
    expect(f.help, f.name).toBeTruthy();
  }
  const names = families.map((f) => f.name);
  expect(names).toContain('process_cpu_seconds_total');
  expect(names).toContain('process_resident_memory_bytes');
  expect(names).toContain('nodejs_eventloop_lag_seconds');
  if (promtool) {
    const r = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`.trim()).toBe('');
    expect(r.status).toBe(0);
  }
  return families;
}

const family = (fs: ParsedFamily[], name: string) => fs.find((f) => f.name === name);

describe('Prometheus exposition', () => {
  it('the worker\'s metrics pass the naming conventions (and promtool when installed)', async () => {
    const m = new WorkerMetrics();
    m.shards.inc({ queue: 'predict', outcome: 'completed' });
    m.rows.inc({ queue: 'predict' }, 500);
    m.shardSeconds.observe({ queue: 'predict' }, 1.5);
    m.active.set({ queue: 'predict' }, 0);
    // a second worker registry in the same process: the unprefixed process metrics do not clash
    const other = new WorkerMetrics();
    const fs = checkConventions(await m.registry.metrics());
    checkConventions(await other.registry.metrics());
    expect(family(fs, 'ortq_shards_total')?.type).toBe('COUNTER');
    expect(family(fs, 'ortq_shards_active')?.type).toBe('GAUGE');
    expect(family(fs, 'ortq_shard_duration_seconds')?.type).toBe('HISTOGRAM');
  });

  it('drift gauges pass them too', async () => {
    const reg = new Registry();
    new DriftGauges(reg).observe('iris', {
      status: 'computed', features: { x: { psi: 0.3, js: 0.1 } }, outputs: { label: { psi: 0.01, js: 0.02 } },
    } as never);
    const fs = parsePrometheusTextFormat(await reg.metrics());
    expect(fs.map((f) => [f.name, f.type])).toEqual([['ortq_feature_drift', 'GAUGE'], ['ortq_prediction_drift', 'GAUGE']]);
  });

  it('the dashboard\'s metrics pass them, with run counts, durations and last successes from Redis', async () => {
    const t0 = new Date('2026-01-02T03:04:05Z');
    await claim('nightly-a', 'nightly');
    expect(await qc.store.finish('nightly-a', 'completed', [], { at: t0, durationSeconds: 2.5 })).toBe(true);
    // finishing again (a finalizer retried after it closed the record) counts nothing twice
    expect(await qc.store.finish('nightly-a', 'completed', [], { at: t0, durationSeconds: 2.5 })).toBe(false);
    await claim('nightly-b', 'nightly');
    expect(await qc.store.finish('nightly-b', 'failed', [{ step: '00000', code: 'ORTQ_INPUT_CORRUPT', message: 'bad' }], { durationSeconds: 400 })).toBe(true);
    await claim('retrain-a', 'iris-retrain', 'train');
    expect(await qc.store.finish('retrain-a', 'cancelled', [])).toBe(true);
    // training runs: their model, verdict and promotion counted by the script that closes the record, once
    const blessed = { model: 'iris', verdict: 'blessed', promoted: true };
    await claim('retrain-b', 'iris-retrain', 'train');
    expect(await qc.store.finish('retrain-b', 'completed', [], { durationSeconds: 42, outcome: blessed })).toBe(true);
    expect(await qc.store.finish('retrain-b', 'completed', [], { durationSeconds: 42, outcome: blessed })).toBe(false);
    await claim('retrain-c', 'iris-retrain', 'train');
    expect(await qc.store.finish('retrain-c', 'failed', [], { durationSeconds: 3, outcome: { model: 'iris', verdict: 'failed', promoted: false } })).toBe(true);
    // an older completion does not move the last success back
    await claim('nightly-c', 'nightly');
    await qc.store.finish('nightly-c', 'completed', [], { at: new Date(t0.getTime() - 86_400_000), durationSeconds: 1 });

    // a second dashboard process would read the same Redis hash: one count for any number of scrapers
    const fs = checkConventions(await scrape());
    const runs = family(fs, 'ortq_runs_total')!;
    expect(runs.type).toBe('COUNTER');
    const count = (kind: string, status: string) => Number(runs.metrics.find((s) => s.labels?.kind === kind && s.labels?.status === status)?.value);
    expect(count('predict', 'completed')).toBe(2);
    expect(count('predict', 'failed')).toBe(1);
    expect(count('train', 'cancelled')).toBe(1);

    expect(family(fs, 'ortq_run_duration_seconds')?.type).toBe('HISTOGRAM');
    // the parser folds the buckets of a labelled histogram into one; its samples are read from the lines
    const text = await scrape();
    const sample = (series: string) => Number(new RegExp(`^${series.replace(/[{}+.]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(sample('ortq_run_duration_seconds_count{kind="predict"}')).toBe(3);
    expect(sample('ortq_run_duration_seconds_sum{kind="predict"}')).toBeCloseTo(403.5);
    expect(sample('ortq_run_duration_seconds_bucket{le="1",kind="predict"}')).toBe(1);
    expect(sample('ortq_run_duration_seconds_bucket{le="5",kind="predict"}')).toBe(2);
    expect(sample('ortq_run_duration_seconds_bucket{le="300",kind="predict"}')).toBe(2);
    expect(sample('ortq_run_duration_seconds_bucket{le="900",kind="predict"}')).toBe(3);
    expect(sample('ortq_run_duration_seconds_bucket{le="+Inf",kind="predict"}')).toBe(3);
    // a cancelled run has no duration
    expect(sample('ortq_run_duration_seconds_count{kind="train"}')).toBe(2);

    const trainRuns = family(fs, 'ortq_train_runs_total')!;
    expect(trainRuns.type).toBe('COUNTER');
    expect(trainRuns.metrics.map((m) => [m.labels?.verdict, Number(m.value)]).sort()).toEqual([['blessed', 1], ['failed', 1]]);
    expect(family(fs, 'ortq_promotions_total')?.metrics).toEqual([{ labels: { model: 'iris' }, value: '1' }]);
    expect(family(fs, 'ortq_train_duration_seconds')?.type).toBe('HISTOGRAM');
    expect(sample('ortq_train_duration_seconds_count{model="iris"}')).toBe(2);
    expect(sample('ortq_train_duration_seconds_sum{model="iris"}')).toBeCloseTo(45);
    expect(sample('ortq_train_duration_seconds_bucket{le="5",model="iris"}')).toBe(1);
    expect(sample('ortq_train_duration_seconds_bucket{le="60",model="iris"}')).toBe(2);

    const last = family(fs, 'ortq_last_success_timestamp_seconds')!;
    expect(last.type).toBe('GAUGE');
    expect(last.metrics.find((m) => m.labels?.job === 'nightly')).toEqual({ labels: { job: 'nightly' }, value: String(t0.getTime() / 1000) });
    expect(last.metrics.map((m) => m.labels?.job).sort()).toEqual(['iris-retrain', 'nightly']);

    for (const name of ['ortq_queue_jobs', 'ortq_queue_workers', 'ortq_champion_age_seconds', 'ortq_pending_approvals']) expect(family(fs, name)?.type, name).toBe('GAUGE');
    expect(family(fs, 'ortq_trigger_firings_total')?.type).toBe('COUNTER');
    expect(family(fs, 'ortq_rollbacks_total')?.type).toBe('COUNTER');
  });

  it('the alert rules in docs/ops.md name metrics that exist (and pass promtool check rules when installed)', async () => {
    const doc = readFileSync(new URL('../../docs/ops.md', import.meta.url), 'utf8');
    const rules = /## Example alert rules \(Prometheus\)\s+```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(rules).toBeTruthy();
    const planned = doc.slice(doc.indexOf('### Planned'), doc.indexOf('## Example alert rules'));
    const worker = new WorkerMetrics();
    const exported = new Set([...parsePrometheusTextFormat(await scrape()), ...parsePrometheusTextFormat(await worker.registry.metrics())].map((f) => f.name));
    for (const m of new Set(rules!.match(/ortq_[a-z_]+/g))) {
      const name = m.replace(/_(bucket|sum|count)$/, '');
      expect(exported.has(name) || planned.includes(`\`${name}{`), `${name} in the alert rules`).toBe(true);
    }
    if (promtool) {
      const dir = mkdtempSync(join(tmpdir(), 'ortq-rules-'));
      try {
        writeFileSync(join(dir, 'rules.yml'), rules!);
        const r = spawnSync(promtool, ['check', 'rules', join(dir, 'rules.yml')], { encoding: 'utf8' });
        expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });
});
