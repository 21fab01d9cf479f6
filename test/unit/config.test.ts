import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, logSettings } from '../../src/config.js';
import { isOrtqError } from '../../src/errors.js';
import { parseQueueList } from '../../src/queue/queues.js';

/** Issue 11, item 12: wrong settings are ORTQ_CONFIG_INVALID naming the key or value and listing the valid ones. */

const ROOT = resolve(import.meta.dirname, '../..');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ortq-config-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function configError(yaml: string, env: NodeJS.ProcessEnv = {}): Error {
  const cwd = mkdtempSync(join(dir, 'c-'));
  mkdirSync(join(cwd, 'config'));
  writeFileSync(join(cwd, 'config', 'default.yaml'), yaml);
  try {
    loadConfig({ cwd, env });
  } catch (err) {
    expect(isOrtqError(err, 'ORTQ_CONFIG_INVALID'), String(err)).toBe(true);
    return err as Error;
  }
  throw new Error('loadConfig accepted it');
}

describe('configuration', () => {
  it('an unknown key in a config file is refused, naming it and listing the valid keys', () => {
    expect(configError('queue:\n  shardRowz: 5\n').message)
      .toContain('unknown key "queue.shardRowz" (valid in queue: shardRows, attempts, backoffMs, workerConcurrency');
    expect(configError('redis:\n  url: redis://h\nreddis:\n  url: x\n').message)
      .toMatch(/unknown key "reddis" \(valid in \(top level\): repository, inference, redis, queue, worker, metrics/);
    expect(configError('repository:\n  trust:\n    requireSignatures: true\n').message)
      .toContain('unknown key "repository.trust.requireSignatures" (valid in repository.trust: requireSignature, publicKeys)');
  });

  it('worker.queues and worker.trainConcurrency: from a file or the environment; an unknown queue lists the valid ones', () => {
    const cwd = mkdtempSync(join(dir, 'w-'));
    mkdirSync(join(cwd, 'config'));
    writeFileSync(join(cwd, 'config', 'default.yaml'), 'worker:\n  queues: [predict, train]\n  trainConcurrency: 2\n');
    expect(loadConfig({ cwd, env: {} }).worker).toEqual({ queues: ['predict', 'train'], trainConcurrency: 2 });
    expect(loadConfig({ cwd: dir, env: {} }).worker).toEqual({ queues: ['predict'], trainConcurrency: 1 });
    const fromEnv = loadConfig({ cwd: dir, env: { ORTQ_WORKER_QUEUES: 'train, predict', ORTQ_TRAIN_CONCURRENCY: '3' } }).worker;
    expect(fromEnv).toEqual({ queues: ['train', 'predict'], trainConcurrency: 3 });
    expect(parseQueueList(fromEnv.queues, 'config')).toEqual(['train', 'predict']);
    let err: unknown;
    try {
      parseQueueList(loadConfig({ cwd: dir, env: { ORTQ_WORKER_QUEUES: 'predict,trian' } }).worker.queues, 'config');
    } catch (e) {
      err = e;
    }
    expect(isOrtqError(err, 'ORTQ_CONFIG_INVALID')).toBe(true);
    expect((err as Error).message).toBe('invalid configuration: worker.queues: unknown queue "trian" (valid: predict, train)');
    expect(configError('worker:\n  trainConcurrency: 0\n').message).toContain('worker.trainConcurrency');
  });

  it('a wrong value from the environment names the variable', () => {
    expect(configError('', { ORTQ_EXECUTION_PROVIDER: 'gpu' }).message).toMatch(/inference\.executionProvider: .*cpu.*cuda.* \(from ORTQ_EXECUTION_PROVIDER=gpu\)/);
  });

  it('a switch from the environment is 1/true or 0/false; anything else is refused, not taken as off', () => {
    expect(loadConfig({ cwd: dir, env: { ORTQ_ALLOW_SPINNING: '1' } }).inference.allowSpinning).toBe(true);
    expect(loadConfig({ cwd: dir, env: { ORTQ_ALLOW_SPINNING: 'false' } }).inference.allowSpinning).toBe(false);
    expect(configError('', { ORTQ_ALLOW_SPINNING: 'yes' }).message).toMatch(/inference\.allowSpinning: .*boolean.* \(from ORTQ_ALLOW_SPINNING=yes\)/);
    expect(configError('', { ORTQ_REQUIRE_SIGNATURE: 'on' }).message).toMatch(/repository\.trust\.requireSignature: .*boolean.* \(from ORTQ_REQUIRE_SIGNATURE=on\)/);
  });

  it('the engine switches read at use (readers, predict path, DuckDB threads) are checked when the configuration loads too', () => {
    expect(configError('', { ORTQ_PREDICT_PATH: 'fast' }).message).toBe('ORTQ_PREDICT_PATH="fast" is not a predict path: use one of shared, copy');
    expect(configError('', { ORTQ_DUCKDB_THREADS: '0' }).message).toBe('ORTQ_DUCKDB_THREADS="0" is not a positive integer');
    expect(configError('', { ORTQ_DUCKDB_CSV_THREADS: 'x' }).message).toBe('ORTQ_DUCKDB_CSV_THREADS="x" is not a positive integer');
    expect(configError('', { ORTQ_DUCKDB_PARQUET_THREADS: '0' }).message).toBe('ORTQ_DUCKDB_PARQUET_THREADS="0" is not a positive integer');
    expect(configError('', { ORTQ_DRIFT_KERNEL: 'gpu' }).message).toBe('ORTQ_DRIFT_KERNEL="gpu" is not a drift kernel: use one of native, avx2, wasm');
    expect(configError('', { ORTQ_CSV_READER: 'fast' }).message).toMatch(/^ORTQ_CSV_READER="fast"/);
    expect(configError('', { ORTQ_PARQUET_READER: 'arrow' }).message).toMatch(/^ORTQ_PARQUET_READER="arrow"/);
    expect(loadConfig({ cwd: dir, env: { ORTQ_PREDICT_PATH: 'copy', ORTQ_DUCKDB_THREADS: '2', ORTQ_DUCKDB_CSV_THREADS: '3', ORTQ_DUCKDB_PARQUET_THREADS: '1', ORTQ_DRIFT_KERNEL: 'wasm' } })).toBeTruthy();
  });

  it('ORTQ_LOG_LEVEL=verbose is ORTQ_CONFIG_INVALID listing the levels', () => {
    expect(() => logSettings({ ORTQ_LOG_LEVEL: 'verbose' })).toThrow('ORTQ_LOG_LEVEL="verbose" is not a log level: use one of fatal, error, warn, info, debug, trace, silent');
    expect(() => logSettings({ ORTQ_LOG_FORMAT: 'text' })).toThrow('use one of pretty, json');
    expect(logSettings({ LOG_LEVEL: 'debug' })).toEqual({ level: 'debug', format: undefined });
    const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'ortq.js'), 'runs', 'list'], {
      cwd: dir, encoding: 'utf8', env: { ...process.env, ORTQ_HOME: join(dir, 'home'), ORTQ_LOG_LEVEL: 'verbose' },
    });
    expect(r.stderr.trim()).toBe('error ORTQ_CONFIG_INVALID: ORTQ_LOG_LEVEL="verbose" is not a log level: use one of fatal, error, warn, info, debug, trace, silent');
    expect(r.status).toBe(2);
  });
});
