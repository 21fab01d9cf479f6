import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { linearModel } from '../../src/onnx/model-zoo.js';
import { ModelRepository } from '../../src/repo/model-repository.js';
import { makeTable, writeTable } from '../helpers/datasets.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const BIN = join(ROOT, 'bin/ortq.js');
export const F = 6;
export const featureCols = Array.from({ length: F }, (_, j) => `f${j}`);

/** A working directory with a model repository, Parquet inputs and a job file. */
export interface QueueFixture {
  dir: string;
  env: NodeJS.ProcessEnv;
  repo: ModelRepository;
  jobFile: string;
  rows: number;
}

/**
 * The environment of ortq processes of a fixture in `dir`: the given Redis
 * with a key prefix of its own, the repository and ORTQ_HOME inside `dir`,
 * JSON logs at info, one inference thread; `over` adds or replaces.
 */
export function fixtureEnv(dir: string, redisUrl: string, over: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    REDIS_URL: redisUrl,
    ORTQ_REDIS_PREFIX: `t-${randomUUID()}`,
    MODEL_REPO_PATH: join(dir, 'repo'),
    ORTQ_HOME: join(dir, '.ortq'),
    ORTQ_LOG_FORMAT: 'json',
    ORTQ_LOG_LEVEL: 'info',
    ORTQ_INTRA_OP_THREADS: '1',
    ...over,
  };
}

/**
 * `files` Parquet files of `rowsPerFile` rows in row groups of `rowGroup`
 * rows, a linear model saved as lin@champion, and `job.yaml`. The env points
 * ortq at the given Redis with a key prefix of its own.
 */
export async function makeFixture(redisUrl: string, opts: { files?: number; rowsPerFile?: number; rowGroup?: number } = {}): Promise<QueueFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'ortq-q-'));
  const files = opts.files ?? 2;
  const rowsPerFile = opts.rowsPerFile ?? 3000;
  const repo = new ModelRepository({ root: join(dir, 'repo') });
  await writeFile(join(dir, 'lin.onnx'), linearModel({ features: F, seed: 5 }).bytes);
  await repo.save('lin', join(dir, 'lin.onnx'), { aliases: ['champion'] });
  for (let f = 0; f < files; f++) {
    await writeTable(join(dir, 'data', `in-${f}.parquet`), makeTable({ rows: rowsPerFile, features: F, startId: f * rowsPerFile }), 'parquet', { rowGroupSize: opts.rowGroup ?? 100 });
  }
  const jobFile = join(dir, 'job.yaml');
  await writeFile(jobFile, [
    'kind: predict', 'name: qscore', 'model: lin@champion', 'input:', '  path: data/*.parquet',
    'features:', `  input: [${featureCols.join(', ')}]`, 'passthrough: [id]', 'output:', '  path: out/queued', 'batchSize: 64', '',
  ].join('\n'));
  const env = fixtureEnv(dir, redisUrl, { ORTQ_LOCK_DURATION_MS: '4000', ORTQ_STALLED_INTERVAL_MS: '1000', ORTQ_SHARD_ROWS: '100' });
  return { dir, env, repo, jobFile, rows: files * rowsPerFile };
}

export interface Proc { child: ChildProcess; out: () => string; err: () => string; exit: Promise<number | null> }

/** Runs `node bin/ortq.js …` in the fixture directory. */
export function ortq(fx: QueueFixture, args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: fx.dir, env: { ...fx.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => { out += String(d); });
  child.stderr!.on('data', (d) => { err += String(d); });
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, out: () => out, err: () => err, exit };
}

/** Waits until `cond` holds, polling; errors inside `cond` (Redis restarting) count as "not yet". */
export async function until(cond: () => Promise<boolean> | boolean, timeoutMs = 60_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if (await cond()) return;
    } catch {
      // retry
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Starts a worker and waits until its log says it started. */
export async function startWorker(fx: QueueFixture, args: string[] = []): Promise<Proc> {
  const p = ortq(fx, ['worker', ...args]);
  await until(() => p.err().includes('worker started'), 30_000, 'worker start');
  return p;
}

export async function stopProc(p: Proc, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill(signal);
  return p.exit;
}
