/**
 * Queue benchmarks (`node dist/bench/main.js --queue`, or this file alone):
 *  - overhead: a 1M-row run in 1,000 shards vs 1 shard on the same single worker (target ≤ 10% slower);
 *  - scale-out: two worker processes vs one, one intra-op thread each, on the MLP (target ≥ 1.7×).
 * A private redis-server is started on a free port; times are the runs' own
 * durations from their manifests (first shard start to manifest written).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mlpModel } from '../onnx/model-zoo.js';
import { writeFeatureFile } from './datasets.js';

const BIN = fileURLToPath(new URL('../../bin/ortq.js', import.meta.url));
const FEATURES = 64;

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => res(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Ctx { dir: string; env: NodeJS.ProcessEnv }

function startWorker(ctx: Ctx): { proc: ChildProcess; ready: Promise<void> } {
  const proc = spawn(process.execPath, [BIN, 'worker', '--concurrency', '1'], { cwd: ctx.dir, env: ctx.env, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  // keep only a tail: the pipe must be drained, the logs need not be kept
  proc.stderr!.on('data', (d) => { err = (err + String(d)).slice(-4096); });
  return { proc, ready: waitFor(() => err.includes('worker started'), 30_000, 'worker start') };
}

async function stopWorkers(ws: Array<{ proc: ChildProcess }>): Promise<void> {
  await Promise.all(ws.map((w) => new Promise<void>((r) => {
    if (w.proc.exitCode !== null) return r();
    w.proc.once('exit', () => r());
    w.proc.kill('SIGTERM');
  })));
}

/** Enqueues and waits; returns the run's rows/s and duration from its manifest. */
async function timedRun(ctx: Ctx, workers: number, shardRows: number, out: string): Promise<{ seconds: number; rowsPerSec: number; shards: number }> {
  const ws = Array.from({ length: workers }, () => startWorker(ctx));
  await Promise.all(ws.map((w) => w.ready));
  try {
    // async, not spawnSync: this process must keep draining the workers' log pipes
    const p = spawn(process.execPath, [BIN, 'enqueue', 'job.yaml', '--wait', '--json', '--shard-rows', String(shardRows), '--set', `output.path=${out}`],
      { cwd: ctx.dir, env: ctx.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout!.on('data', (d) => { stdout += String(d); });
    p.stderr!.on('data', (d) => { stderr += String(d); });
    const code = await new Promise<number | null>((r) => p.once('exit', r));
    if (code !== 0) throw new Error(`enqueue failed: ${stderr.slice(-2000)}`);
    const summary = JSON.parse(stdout) as { manifest: string };
    const m = JSON.parse(await readFile(summary.manifest, 'utf8')) as { durationMs: number; rows: { read: number }; shards: number };
    return { seconds: m.durationMs / 1000, rowsPerSec: (m.rows.read / m.durationMs) * 1000, shards: m.shards };
  } finally {
    await stopWorkers(ws);
  }
}

export async function runQueueBench(opts: { dir: string; rows?: number }): Promise<void> {
  const rows = opts.rows ?? 1_000_000;
  if (spawnSync('redis-server', ['--version']).status !== 0) {
    process.stdout.write('\nqueue benchmarks skipped: redis-server is not installed\n');
    return;
  }
  const benchDir = resolve(opts.dir);
  const data = join(benchDir, `queue-mlp-${rows}.arrow`);
  if (!existsSync(data)) await writeFeatureFile(data, 'arrow', rows, FEATURES, 1000); // 1,000-row batches: 1,000 shards possible
  const dir = await mkdtemp(join(tmpdir(), 'ortq-qbench-'));
  const port = await freePort();
  const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes'], { stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 300));
    await mkdir(join(dir, 'data'), { recursive: true });
    await writeFile(join(dir, 'mlp.onnx'), mlpModel({ sizes: [FEATURES, 64, 32, 10], seed: 2 }).bytes);
    const env: NodeJS.ProcessEnv = {
      ...process.env, REDIS_URL: `redis://127.0.0.1:${port}`, ORTQ_REDIS_PREFIX: 'bench', MODEL_REPO_PATH: join(dir, 'repo'),
      ORTQ_HOME: join(dir, '.ortq'), ORTQ_LOG_LEVEL: 'info', ORTQ_LOG_FORMAT: 'json', ORTQ_INTRA_OP_THREADS: '1',
    };
    const save = spawnSync(process.execPath, [BIN, 'models', 'save', 'mlp', join(dir, 'mlp.onnx'), '--alias', 'bench'], { cwd: dir, env, encoding: 'utf8' });
    if (save.status !== 0) throw new Error(`models save failed: ${save.stderr}`);
    await writeFile(join(dir, 'job.yaml'), [
      'kind: predict', 'name: qbench', 'model: mlp@bench', 'input:', `  path: ${data}`,
      'features:', `  input: [${Array.from({ length: FEATURES }, (_, j) => `f${j}`).join(', ')}]`, 'output:', '  path: out/x', '  format: arrow', 'batchSize: 1000', '',
    ].join('\n'));
    const ctx = { dir, env };
    const one = await timedRun(ctx, 1, rows, 'out/one-shard');
    const many = await timedRun(ctx, 1, Math.max(1, Math.floor(rows / 1000)), 'out/many-shards');
    const single = await timedRun(ctx, 1, Math.max(1, Math.floor(rows / 50)), 'out/w1');
    const pair = await timedRun(ctx, 2, Math.max(1, Math.floor(rows / 50)), 'out/w2');
    const slower = many.seconds / one.seconds - 1;
    const speedup = pair.rowsPerSec / single.rowsPerSec;
    const f = (n: number) => Math.round(n).toLocaleString('en');
    process.stdout.write([
      '',
      `queue benchmarks (MLP ${FEATURES}→64→32→10, ${f(rows)} rows, Arrow IPC, 1 intra-op thread per worker):`,
      `  overhead: 1 shard ${one.seconds.toFixed(2)} s (${f(one.rowsPerSec)} rows/s) vs ${many.shards} shards ${many.seconds.toFixed(2)} s (${f(many.rowsPerSec)} rows/s): ` +
        `${(slower * 100).toFixed(1)}% slower (target ≤ 10%) ${slower <= 0.1 ? 'ok' : 'MISS'}`,
      `  scale-out: 1 worker ${f(single.rowsPerSec)} rows/s, 2 workers ${f(pair.rowsPerSec)} rows/s (${single.shards} shards): ` +
        `${speedup.toFixed(2)}× (target ≥ 1.7×) ${speedup >= 1.7 ? 'ok' : 'MISS'}`,
      '',
    ].join('\n'));
  } finally {
    redis.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const rowsArg = process.argv.indexOf('--rows');
  await runQueueBench({ dir: '.ortq/bench', rows: rowsArg > 0 ? Number(process.argv[rowsArg + 1]) : undefined });
}
