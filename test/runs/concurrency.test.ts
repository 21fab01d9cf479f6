import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { isOrtqError } from '../../src/errors.js';
import { linearModel } from '../../src/onnx/model-zoo.js';
import { parseJob } from '../../src/predict/job-spec.js';
import { runLocal } from '../../src/predict/local-run.js';
import { ModelRepository } from '../../src/repo/model-repository.js';
import { RunLedger } from '../../src/runs/ledger.js';
import { RunLock } from '../../src/runs/lock.js';
import { makeTable, readRunRows, writeTable } from '../helpers/datasets.js';

/**
 * Issue 7: two runs of one job at once. One runs; the other is refused with
 * ORTQ_RUN_LOCKED (pid and host named) or finds the run finished. Every trial
 * ends with every input row exactly once and nothing half-done beside it.
 */
const BIN = join(resolve(import.meta.dirname, '../..'), 'bin/ortq.js');
const F = 4;
const ROWS = 1000;
const cols = Array.from({ length: F }, (_, j) => `f${j}`);
const silent = pino({ level: 'silent' });
let dir: string;
let repo: ModelRepository;
let ledger: RunLedger;

const savedHome = process.env.ORTQ_HOME;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ortq-concurrent-'));
  // in-process runs cache input fingerprints under ORTQ_HOME: this test's dir, not the project's ./.ortq
  process.env.ORTQ_HOME = join(dir, 'home');
  repo = new ModelRepository({ root: join(dir, 'repo'), logger: silent });
  await writeFile(join(dir, 'lin.onnx'), linearModel({ features: F, seed: 9 }).bytes);
  await repo.save('lin', join(dir, 'lin.onnx'), { aliases: ['champion'] });
  await writeTable(join(dir, 'data', 'in.parquet'), makeTable({ rows: ROWS, features: F }), 'parquet', { rowGroupSize: 100 });
  ledger = new RunLedger(join(dir, 'home', 'runs'));
});
afterAll(async () => {
  if (savedHome === undefined) delete process.env.ORTQ_HOME;
  else process.env.ORTQ_HOME = savedHome;
  await rm(dir, { recursive: true, force: true });
});

const spec = (name: string) => ({ name, model: 'lin@champion', input: { path: 'data' }, features: { input: cols }, passthrough: ['id'], output: { path: `out/${name}` }, batchSize: 50 });

async function expectClean(name: string): Promise<void> {
  const out = join(dir, 'out', name);
  const names = (await readdir(out)).sort();
  expect(names.length, names.join(' ')).toBe(2);
  expect(names[0]).toBe('_latest.json');
  const runDir = join(out, names[1]);
  expect(existsSync(join(runDir, 'run.json'))).toBe(true);
  expect(existsSync(join(runDir, '_failed.json'))).toBe(false);
  expect((await readdir(runDir)).filter((n) => n.includes('.tmp-'))).toEqual([]);
  const ids = (await readRunRows(runDir)).map((r) => Number(r.id));
  expect(ids.length).toBe(ROWS);
  expect(new Set(ids).size).toBe(ROWS);
}

function settle(results: PromiseSettledResult<unknown>[]): { ok: number; locked: number } {
  let ok = 0;
  let locked = 0;
  for (const r of results) {
    if (r.status === 'fulfilled') ok++;
    else if (isOrtqError(r.reason, 'ORTQ_RUN_LOCKED')) {
      locked++;
      expect(r.reason.details).toMatchObject({ pid: process.pid, host: expect.any(String) });
    } else throw r.reason;
  }
  return { ok, locked };
}

describe('two runs of one job at once (10 trials each)', () => {
  it('ortq run twice: one runs, the other is refused or finds it done; every row once', async () => {
    for (let t = 0; t < 10; t++) {
      const j = parseJob(spec(`twice-${t}`), { baseDir: dir });
      const go = () => runLocal(j, { repo, shardRows: 100, ledger, logger: silent });
      const res = await Promise.allSettled([go(), sleep(t * 40).then(go)]);
      expect(settle(res).ok).toBeGreaterThanOrEqual(1);
      await expectClean(`twice-${t}`);
    }
  }, 240_000); // 20 runs: generous for a shared, loaded machine

  it('--force twice on a finished run: never a lost or doubled row, never a leftover', async () => {
    const j = parseJob(spec('force-twice'), { baseDir: dir });
    await runLocal(j, { repo, shardRows: 100, ledger, logger: silent });
    for (let t = 0; t < 10; t++) {
      const go = () => runLocal(j, { repo, shardRows: 100, force: true, ledger, logger: silent });
      const res = await Promise.allSettled([go(), sleep(t * 40).then(go)]);
      expect(settle(res).ok).toBeGreaterThanOrEqual(1);
      await expectClean('force-twice');
    }
  }, 240_000);
});

describe('the run lock', () => {
  it('records the holder; a holder that died on this host is taken over; a live one is waited for', async () => {
    const root = join(dir, 'locks');
    const a = await RunLock.acquire(root, 'j-0123456789abcdef0123');
    const err = await RunLock.acquire(root, 'j-0123456789abcdef0123').catch((e) => e);
    expect(isOrtqError(err, 'ORTQ_RUN_LOCKED')).toBe(true);
    expect(err.message).toContain(`process ${process.pid} on `);
    const waiting = RunLock.acquire(root, 'j-0123456789abcdef0123', { waitMs: 10_000 });
    await sleep(300);
    await a.release();
    await (await waiting).release();
    // a lock file left by a killed process
    const lockFile = join(root, '.run=j-0123456789abcdef0123.lock');
    const child = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => child.once('exit', r));
    await writeFile(lockFile, JSON.stringify({ pid: child.pid, host: (await import('node:os')).hostname(), token: 'x', acquiredAt: new Date().toISOString() }));
    const b = await RunLock.acquire(root, 'j-0123456789abcdef0123');
    expect(b.holder.pid).toBe(process.pid);
    await b.release();
    // a silent holder on another host: taken over once its heartbeat is older than staleMs
    await writeFile(lockFile, JSON.stringify({ pid: 1, host: 'elsewhere', token: 'y', acquiredAt: new Date().toISOString() }));
    expect(isOrtqError(await RunLock.acquire(root, 'j-0123456789abcdef0123', { staleMs: 60_000 }).catch((e) => e), 'ORTQ_RUN_LOCKED')).toBe(true);
    await sleep(400);
    const c = await RunLock.acquire(root, 'j-0123456789abcdef0123', { staleMs: 300 });
    await c.release();
    expect(existsSync(lockFile)).toBe(false);
  });
});

describe('two ortq processes at once (real CLI)', () => {
  function cli(args: string[]): Promise<{ code: number | null; stderr: string }> {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: dir, env: { ...process.env, ORTQ_HOME: join(dir, 'clihome'), ORTQ_LOG_FORMAT: 'json', ORTQ_LOG_LEVEL: 'warn', ORTQ_INTRA_OP_THREADS: '1' }, stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d) => { stderr += String(d); });
    return new Promise((r) => child.once('exit', (code) => r({ code, stderr })));
  }

  it('run and --force: the loser exits with ORTQ_RUN_LOCKED naming pid and host, or finds the run done', async () => {
    await writeFile(join(dir, 'cli.yaml'), 'kind: predict\nname: cli\nmodel: lin@champion\ninput: { path: data }\nfeatures: { input: [f0, f1, f2, f3] }\npassthrough: [id]\noutput: { path: out/cli }\nbatchSize: 50\n');
    const args = ['run', 'cli.yaml', '--repo', 'repo', '--shard-rows', '100', '--no-progress'];
    for (const extra of [[], ['--force']]) {
      const res = await Promise.all([cli([...args, ...extra]), cli([...args, ...extra])]);
      for (const r of res) {
        if (r.code !== 0) expect(r.stderr).toMatch(/error ORTQ_RUN_LOCKED: run cli-[0-9a-f]{20} is being run by process \d+ on /);
      }
      expect(res.some((r) => r.code === 0)).toBe(true);
      await expectClean('cli');
    }
  }, 180_000);
});
