/**
 * Queue benchmarks (`node dist/bench/main.js --queue`, or this file alone):
 *  - overhead: a 1M-row run in 1,000 shards vs 1 shard on the same single worker (target ≤ 10% slower);
 *  - scale-out: two worker processes vs one, one intra-op thread each, on the MLP (target ≥ 1.7×).
 * A private redis-server is started on a free port; times are the runs' own
 * durations from their manifests (first shard start to manifest written).
 * Every measured run goes to workers that have already served a warm-up run,
 * so no side pays for process start-up, onnxruntime loading or session
 * creation; the input file is written before anything is timed. Each run also
 * reports the CPU seconds of every process involved and the Redis commands it
 * cost per shard, which is where the overhead shows.
 *
 * Flags: `--rows N`, `--only one,many,w1,w2` (a subset of the four runs).
 * `ORTQ_BENCH_MONITOR=FILE` writes the timed run's Redis commands (MONITOR) to FILE.
 * `ORTQ_BENCH_NODE_ARGS` adds node flags to the workers, their shard processes and `enqueue` (`--cpu-prof …`).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { mlpModel } from '../onnx/model-zoo.js';
import { writeFeatureFile } from './datasets.js';

const BIN = fileURLToPath(new URL('../../bin/ortq.js', import.meta.url));
const FEATURES = 64;
/** the engine benchmark's batch size (main.ts; not imported: importing main.ts runs it) */
const BATCH = 16384;
const WARMUP_ROWS = 40_000;
const RUNS = ['one', 'many', 'w1', 'w2'] as const;
type RunName = (typeof RUNS)[number];

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

/** CPU seconds (user + system) of one process, from /proc; null once it is gone or off Linux. */
function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return null;
  }
}

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * Samples the CPU time of labelled processes (and the shard children under the
 * workers) while a run goes on; the last sample of a process that exits is kept.
 */
class CpuSampler {
  private readonly last = new Map<number, { label: string; first: number; now: number }>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly roots: Array<{ pid: number; label: string; children?: string }>) {}

  start(): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), 200);
    return this;
  }

  add(pid: number, label: string): void {
    this.roots.push({ pid, label });
    this.sample();
  }

  private sample(): void {
    for (const r of this.roots) {
      this.see(r.pid, r.label);
      if (r.children) for (const c of childPids(r.pid)) this.see(c, r.children);
    }
  }

  private see(pid: number, label: string): void {
    const s = cpuSeconds(pid);
    if (s === null) return;
    const e = this.last.get(pid);
    if (e) e.now = s;
    else this.last.set(pid, { label, first: s, now: s });
  }

  /** CPU seconds used since start(), summed per label. */
  stop(): Record<string, number> {
    this.sample();
    if (this.timer) clearInterval(this.timer);
    const out: Record<string, number> = {};
    for (const e of this.last.values()) out[e.label] = (out[e.label] ?? 0) + (e.now - e.first);
    return out;
  }
}

async function redisCalls(redis: Redis): Promise<Map<string, number>> {
  const info = await redis.info('commandstats');
  const out = new Map<string, number>();
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out.set(m[1], Number(m[2]));
  return out;
}

/** e.g. ORTQ_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof"; shard processes inherit it from their worker */
function nodeArgs(): string[] {
  return (process.env.ORTQ_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
}

interface Ctx { dir: string; env: NodeJS.ProcessEnv; redis: Redis; redisPid: number }
interface Worker { proc: ChildProcess; ready: Promise<void> }

function startWorker(ctx: Ctx): Worker {
  const proc = spawn(process.execPath, [...nodeArgs(), BIN, 'worker', '--concurrency', '1'], { cwd: ctx.dir, env: ctx.env, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  // keep only a tail: the pipe must be drained, the logs need not be kept
  proc.stderr!.on('data', (d) => { err = (err + String(d)).slice(-4096); });
  return { proc, ready: waitFor(() => err.includes('worker started'), 30_000, 'worker start') };
}

async function stopWorkers(ws: Worker[]): Promise<void> {
  await Promise.all(ws.map((w) => new Promise<void>((r) => {
    if (w.proc.exitCode !== null) return r();
    w.proc.once('exit', () => r());
    w.proc.kill('SIGTERM');
  })));
}

interface RunResult {
  seconds: number;
  rowsPerSec: number;
  shards: number;
  cpu: Record<string, number>;
  redisPerShard: number;
  load: number;
}

/** `ortq enqueue --wait --json`; returns the manifest's duration and rows/s. */
async function enqueueAndWait(ctx: Ctx, job: string, shardRows: number, out: string, cpu?: CpuSampler): Promise<{ seconds: number; rowsPerSec: number; shards: number }> {
  // async, not spawnSync: this process must keep draining the workers' log pipes
  const p = spawn(process.execPath, [...nodeArgs(), BIN, 'enqueue', job, '--wait', '--json', '--shard-rows', String(shardRows), '--set', `output.path=${out}`],
    { cwd: ctx.dir, env: ctx.env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (cpu && p.pid) cpu.add(p.pid, 'enqueue --wait');
  let stdout = '';
  let stderr = '';
  p.stdout!.on('data', (d) => { stdout += String(d); });
  p.stderr!.on('data', (d) => { stderr += String(d); });
  const code = await new Promise<number | null>((r) => p.once('exit', r));
  if (code !== 0) throw new Error(`enqueue failed: ${stderr.slice(-2000)}`);
  const summary = JSON.parse(stdout) as { manifest: string };
  const m = JSON.parse(await readFile(summary.manifest, 'utf8')) as { durationMs: number; rows: { read: number }; shards: number };
  return { seconds: m.durationMs / 1000, rowsPerSec: (m.rows.read / m.durationMs) * 1000, shards: m.shards };
}

/** Starts `workers` workers, warms them up on a small run, then times one run. */
async function timedRun(ctx: Ctx, workers: number, shardRows: number, out: string): Promise<RunResult> {
  const ws = Array.from({ length: workers }, () => startWorker(ctx));
  await Promise.all(ws.map((w) => w.ready));
  try {
    // 1,000-row shards until every worker has started its shard process (which caches the session)
    for (let i = 0; i < 5 && (i === 0 || ws.some((w) => childPids(w.proc.pid!).length === 0)); i++) {
      await enqueueAndWait(ctx, 'warmup.yaml', 1000, `${out}-warmup-${i}`);
    }
    if (ws.some((w) => childPids(w.proc.pid!).length === 0)) process.stderr.write('queue bench: a worker got no warm-up shard; its start-up is timed\n');
    const before = await redisCalls(ctx.redis);
    const load = loadavg()[0];
    const cpu = new CpuSampler([
      ...ws.map((w) => ({ pid: w.proc.pid!, label: 'worker', children: 'shard process' })),
      { pid: ctx.redisPid, label: 'redis-server' },
    ]).start();
    // ORTQ_BENCH_MONITOR=FILE: every command of the timed run as MONITOR sees it (client-sent and from scripts)
    const monitorFile = process.env.ORTQ_BENCH_MONITOR;
    const monitor = monitorFile ? await ctx.redis.duplicate().monitor() : null;
    const seen: string[] = [];
    monitor?.on('monitor', (_time: string, args: string[], source: string) => { seen.push(`${source} ${args.slice(0, 2).join(' ').slice(0, 120)}`); });
    const r = await enqueueAndWait(ctx, 'job.yaml', shardRows, out, cpu);
    const used = cpu.stop();
    if (monitor) {
      monitor.disconnect();
      await writeFile(monitorFile!, seen.join('\n') + '\n');
    }
    const after = await redisCalls(ctx.redis);
    let calls = 0;
    for (const [k, v] of after) if (k !== 'info') calls += v - (before.get(k) ?? 0);
    return { ...r, cpu: used, redisPerShard: calls / r.shards, load };
  } finally {
    await stopWorkers(ws);
  }
}

function jobYaml(input: string): string {
  return [
    'kind: predict', 'name: qbench', 'model: mlp@bench', 'input:', `  path: ${input}`,
    'features:', `  input: [${Array.from({ length: FEATURES }, (_, j) => `f${j}`).join(', ')}]`, 'output:', '  path: out/x', '  format: arrow',
    // the engine benchmark's batch size; the input's 1,000-row record batches bound it (shards are cut at batch boundaries)
    `batchSize: ${BATCH}`, '',
  ].join('\n');
}

function describe(name: string, r: RunResult): string {
  const f = (n: number) => Math.round(n).toLocaleString('en');
  const cpu = Object.entries(r.cpu).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ');
  return `    ${name}: ${r.seconds.toFixed(2)} s, ${f(r.rowsPerSec)} rows/s, ${r.shards} shards, ${r.redisPerShard.toFixed(1)} Redis commands/shard, ` +
    `CPU s: ${cpu}; load before ${r.load.toFixed(2)}`;
}

export async function runQueueBench(opts: { dir: string; rows?: number; only?: RunName[] }): Promise<void> {
  const rows = opts.rows ?? 1_000_000;
  const only = new Set(opts.only ?? RUNS);
  if (spawnSync('redis-server', ['--version']).status !== 0) {
    process.stdout.write('\nqueue benchmarks skipped: redis-server is not installed\n');
    return;
  }
  const benchDir = resolve(opts.dir);
  const data = join(benchDir, `queue-mlp-${rows}.arrow`);
  const warm = join(benchDir, `queue-mlp-warmup-${WARMUP_ROWS}.arrow`);
  if (!existsSync(data)) await writeFeatureFile(data, 'arrow', rows, FEATURES, 1000); // 1,000-row batches: 1,000 shards possible
  if (!existsSync(warm)) await writeFeatureFile(warm, 'arrow', WARMUP_ROWS, FEATURES, 1000);
  const dir = await mkdtemp(join(tmpdir(), 'ortq-qbench-'));
  const port = await freePort();
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes'], { stdio: 'ignore' });
  const redis = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 3 });
  try {
    await new Promise((r) => setTimeout(r, 300));
    await redis.connect();
    await mkdir(join(dir, 'data'), { recursive: true });
    await writeFile(join(dir, 'mlp.onnx'), mlpModel({ sizes: [FEATURES, 64, 32, 10], seed: 2 }).bytes);
    const env: NodeJS.ProcessEnv = {
      ...process.env, REDIS_URL: `redis://127.0.0.1:${port}`, ORTQ_REDIS_PREFIX: 'bench', MODEL_REPO_PATH: join(dir, 'repo'),
      ORTQ_HOME: join(dir, '.ortq'), ORTQ_LOG_LEVEL: 'info', ORTQ_LOG_FORMAT: 'json', ORTQ_INTRA_OP_THREADS: '1',
      // as the engine benchmark's measuring processes get it (main.ts)
      GLIBC_TUNABLES: process.env.GLIBC_TUNABLES ?? 'glibc.malloc.hugetlb=1',
    };
    const save = spawnSync(process.execPath, [BIN, 'models', 'save', 'mlp', join(dir, 'mlp.onnx'), '--alias', 'bench'], { cwd: dir, env, encoding: 'utf8' });
    if (save.status !== 0) throw new Error(`models save failed: ${save.stderr}`);
    await writeFile(join(dir, 'job.yaml'), jobYaml(data));
    await writeFile(join(dir, 'warmup.yaml'), jobYaml(warm));
    const ctx: Ctx = { dir, env, redis, redisPid: server.pid! };
    const res: Partial<Record<RunName, RunResult>> = {};
    if (only.has('one')) res.one = await timedRun(ctx, 1, rows, 'out/one-shard');
    if (only.has('many')) res.many = await timedRun(ctx, 1, Math.max(1, Math.floor(rows / 1000)), 'out/many-shards');
    if (only.has('w1')) res.w1 = await timedRun(ctx, 1, Math.max(1, Math.floor(rows / 50)), 'out/w1');
    if (only.has('w2')) res.w2 = await timedRun(ctx, 2, Math.max(1, Math.floor(rows / 50)), 'out/w2');
    const f = (n: number) => Math.round(n).toLocaleString('en');
    const lines = ['', `queue benchmarks (MLP ${FEATURES}→64→32→10, ${f(rows)} rows, Arrow IPC, batch ${BATCH}, 1 intra-op thread per worker, warm workers):`];
    const { one, many, w1, w2 } = res;
    if (one && many) {
      const slower = many.seconds / one.seconds - 1;
      lines.push(`  overhead: 1 shard ${one.seconds.toFixed(2)} s (${f(one.rowsPerSec)} rows/s) vs ${many.shards} shards ${many.seconds.toFixed(2)} s (${f(many.rowsPerSec)} rows/s): ` +
        `${(slower * 100).toFixed(1)}% slower, ${(((many.seconds - one.seconds) / (many.shards - 1)) * 1000).toFixed(2)} ms per extra shard (target ≤ 10%) ${slower <= 0.1 ? 'ok' : 'MISS'}`);
    }
    if (w1 && w2) {
      const speedup = w2.rowsPerSec / w1.rowsPerSec;
      lines.push(`  scale-out: 1 worker ${f(w1.rowsPerSec)} rows/s, 2 workers ${f(w2.rowsPerSec)} rows/s (${w1.shards} shards): ` +
        `${speedup.toFixed(2)}× (target ≥ 1.7×) ${speedup >= 1.7 ? 'ok' : 'MISS'}`);
    }
    for (const name of RUNS) if (res[name]) lines.push(describe(name, res[name]));
    process.stdout.write(lines.join('\n') + '\n\n');
  } finally {
    redis.disconnect();
    server.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const rowsArg = arg('--rows');
  await runQueueBench({
    dir: '.ortq/bench',
    rows: rowsArg ? Number(rowsArg) : undefined,
    only: arg('--only')?.split(',').filter((n): n is RunName => (RUNS as readonly string[]).includes(n)),
  });
}
