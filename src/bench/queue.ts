/**
 * Queue benchmarks (`node dist/bench/main.js --queue`, or this file alone):
 *  - per-shard cost (issue 10): 1 worker, the rows in 100 shards vs a local run of them in one shard
 *    (`local`, a warm process: src/bench/child.ts), target ≥ 0.9× of local and ≤ 3 ms per shard; then the
 *    same 100-shard run again with Redis MONITOR and strace attached, to count round trips and fsyncs per shard;
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
 * Flags: `--rows N`, `--only local,q100,l100,count,one,many,w1,w2` (a subset of the runs; `l100`: the same 100
 * shards run locally in one process, alternated with the others, to tell the run core's per-shard cost from the queue's), `--repeat N` (local and
 * q100 alternated N times, the least time of each compared).
 * `ORTQ_BENCH_MONITOR=FILE` writes the timed run's Redis commands (MONITOR) to FILE.
 * `ORTQ_BENCH_CONCURRENCY=N` runs each worker with `--concurrency N` (default 1).
 * `ORTQ_BENCH_WORKER_LOG=FILE` appends the workers' log lines (with their shard processes') to FILE.
 * `ORTQ_BENCH_NODE_ARGS` adds node flags to the workers, their shard processes and `enqueue` (`--cpu-prof …`).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { mlpModel } from '../onnx/model-zoo.js';
import { timeCommits } from './commit.js';
import { writeFeatureFile } from './datasets.js';
import { readReceipts } from '../runs/store.js';

const BIN = fileURLToPath(new URL('../../bin/ortq.js', import.meta.url));
const FEATURES = 64;
/** the engine benchmark's batch size (main.ts; not imported: importing main.ts runs it) */
const BATCH = 16384;
const WARMUP_ROWS = 40_000;
export const RUNS = ['local', 'q100', 'l100', 'count', 'one', 'many', 'w1', 'w2'] as const;
export type RunName = (typeof RUNS)[number];
/** issue 10's targets for 1 worker, 100 shards vs the local run */
const SHARDS = 100;
const TARGET_RATIO = 0.9;
const TARGET_MS = 3;
const CHILD = fileURLToPath(new URL('./child.js', import.meta.url));

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

/** strace with seccomp-bpf stops only on the traced calls, so counting fsyncs costs next to nothing */
const STRACE_CALLS = 'fsync,fdatasync,rename,renameat,renameat2';
const hasStrace = (): boolean => spawnSync('strace', ['-V']).status === 0;

function startWorker(ctx: Ctx, straceFile?: string): Worker {
  // ORTQ_BENCH_CONCURRENCY: shards at once per worker (each in its own shard process), default 1
  const argv = [...nodeArgs(), BIN, 'worker', '--concurrency', process.env.ORTQ_BENCH_CONCURRENCY ?? '1'];
  // under strace the worker is strace's child: the sampler's children and the CPU figures are not used then
  const proc = straceFile
    ? spawn('strace', ['-f', '--seccomp-bpf', '-qq', '-e', `trace=${STRACE_CALLS}`, '-o', straceFile, process.execPath, ...argv], { cwd: ctx.dir, env: ctx.env, stdio: ['ignore', 'ignore', 'pipe'] })
    : spawn(process.execPath, argv, { cwd: ctx.dir, env: ctx.env, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  // keep only a tail: the pipe must be drained, the logs need not be kept
  proc.stderr!.on('data', (d) => { err = (err + String(d)).slice(-4096); });
  // ORTQ_BENCH_WORKER_LOG=FILE keeps the workers' (and their shard processes') log lines
  const logFile = process.env.ORTQ_BENCH_WORKER_LOG;
  if (logFile) proc.stderr!.on('data', (d) => appendFileSync(logFile, d as Buffer));
  return { proc, ready: waitFor(() => err.includes('worker started'), 30_000, 'worker start') };
}

async function stopWorkers(ws: Worker[]): Promise<void> {
  await Promise.all(ws.map((w) => new Promise<void>((r) => {
    if (w.proc.exitCode !== null) return r();
    w.proc.once('exit', () => r());
    // under strace, the worker is strace's child: strace ends when it does
    const traced = w.proc.spawnargs[0] === 'strace' ? childPids(w.proc.pid!)[0] : undefined;
    if (traced) process.kill(traced, 'SIGTERM');
    else w.proc.kill('SIGTERM');
  })));
}

/**
 * Where a queued run's time went between its shards, from its receipts (each shard's start, and its end
 * before the commit, in its step process): medians over the run's shards, in shard order.
 */
export interface ShardTimeline {
  /** a shard's own work: its start to its part written (the commit excluded) */
  workMs: number;
  /** from a shard's work done to the next shard's start: the path between two shards */
  gapMs: number;
  /** the same, 90th percentile */
  gapP90Ms: number;
}

async function shardTimeline(runDir: string): Promise<ShardTimeline | null> {
  const rs = [...(await readReceipts(runDir)).values()].filter((r) => r.startedAt && r.finishedAt).sort((a, b) => a.step.localeCompare(b.step));
  if (rs.length < 2) return null;
  const t = (iso: string) => Date.parse(iso);
  const q = (xs: number[], f: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * f))];
  const work = rs.map((r) => t(r.finishedAt!) - t(r.startedAt!));
  const gaps = rs.slice(1).map((r, i) => t(r.startedAt!) - t(rs[i].finishedAt!));
  return { workMs: q(work, 0.5), gapMs: q(gaps, 0.5), gapP90Ms: q(gaps, 0.9) };
}

interface RunResult {
  timeline: ShardTimeline | null;
  seconds: number;
  rowsPerSec: number;
  shards: number;
  cpu: Record<string, number>;
  redisPerShard: number;
  load: number;
}

/** `ortq enqueue --wait --json`; returns the manifest's duration and rows/s. */
async function enqueueAndWait(ctx: Ctx, job: string, shardRows: number, out: string, cpu?: CpuSampler, started?: (pid: number) => void): Promise<{ seconds: number; rowsPerSec: number; shards: number; runDir: string }> {
  // async, not spawnSync: this process must keep draining the workers' log pipes
  const p = spawn(process.execPath, [...nodeArgs(), BIN, 'enqueue', job, '--wait', '--json', '--shard-rows', String(shardRows), '--set', `output.path=${out}`],
    { cwd: ctx.dir, env: ctx.env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (cpu && p.pid) cpu.add(p.pid, 'enqueue --wait');
  if (p.pid) started?.(p.pid);
  let stdout = '';
  let stderr = '';
  p.stdout!.on('data', (d) => { stdout += String(d); });
  p.stderr!.on('data', (d) => { stderr += String(d); });
  const code = await new Promise<number | null>((r) => p.once('exit', r));
  if (code !== 0) throw new Error(`enqueue failed: ${stderr.slice(-2000)}`);
  const summary = JSON.parse(stdout) as { manifest: string };
  const m = JSON.parse(await readFile(summary.manifest, 'utf8')) as { durationMs: number; rows: { read: number }; shards: number };
  return { seconds: m.durationMs / 1000, rowsPerSec: (m.rows.read / m.durationMs) * 1000, shards: m.shards, runDir: dirname(summary.manifest) };
}

/** Warms the workers up: 1,000-row shards until every worker has started its shard process (which caches the session). */
async function warmUp(ctx: Ctx, ws: Worker[], out: string, pids: () => number[] = () => ws.map((w) => w.proc.pid!)): Promise<void> {
  for (let i = 0; i < 5 && (i === 0 || pids().some((p) => descendants(p).length === 0)); i++) {
    await enqueueAndWait(ctx, 'warmup.yaml', 1000, `${out}-warmup-${i}`);
  }
}

function descendants(pid: number): number[] {
  return childPids(pid).flatMap((c) => [c, ...descendants(c)]);
}

/** local TCP ports of a process's sockets (/proc/PID/fd → socket inode → /proc/net/tcp) */
function tcpPorts(pid: number): number[] {
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]);
      } catch { /* closed meanwhile */ }
    }
    const ports: number[] = [];
    for (const line of readFileSync(`/proc/${pid}/net/tcp`, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 9 && inodes.has(f[9])) ports.push(parseInt(f[1].split(':')[1], 16));
    }
    return ports;
  } catch {
    return [];
  }
}

export interface ShardCounts {
  shards: number;
  /** commands sent by clients (round trips or pipelined), per shard, by process */
  sent: Record<string, number>;
  /** commands run inside Lua scripts, per shard */
  inScripts: number;
  /** fsync + fdatasync, and renames, per shard, worker and shard processes together; null without strace */
  fsyncs: number | null;
  renames: number | null;
}

/**
 * The counting run: the same run as the timed one, on a fresh warm worker run
 * under strace, with Redis MONITOR on. Both cost time, so nothing is timed here.
 */
async function countRun(ctx: Ctx, shardRows: number, out: string): Promise<ShardCounts> {
  const trace = hasStrace() ? join(ctx.dir, 'strace.txt') : undefined;
  const w = startWorker(ctx, trace);
  await w.ready;
  try {
    // under strace the worker is strace's child
    const worker = () => (trace ? childPids(w.proc.pid!)[0] : w.proc.pid!);
    await warmUp(ctx, [w], `${out}-count`, () => [worker()]);
    const lines = () => (trace ? readFileSync(trace, 'utf8').split('\n').filter(Boolean) : []);
    const before = lines().length;
    const owner = new Map<number, string>();
    const who = (pid: number | undefined, label: string) => { if (pid) for (const p of [pid, ...descendants(pid)]) for (const port of tcpPorts(p)) owner.set(port, label); };
    let enqueuePid: number | undefined;
    const monitor = await ctx.redis.duplicate().monitor();
    const sent = new Map<number, number>();
    let inScripts = 0;
    monitor.on('monitor', (_time: string, _args: string[], source: string) => {
      if (source === 'lua') { inScripts++; return; }
      const port = Number(source.slice(source.lastIndexOf(':') + 1));
      if (!owner.has(port)) { who(worker(), 'worker'); who(enqueuePid, 'enqueue --wait'); }
      sent.set(port, (sent.get(port) ?? 0) + 1);
    });
    const r = await enqueueAndWait(ctx, 'job.yaml', shardRows, `${out}-count`, undefined, (pid) => { enqueuePid = pid; });
    monitor.disconnect();
    const bySource: Record<string, number> = {};
    for (const [port, n] of sent) {
      const label = owner.get(port) ?? 'other';
      bySource[label] = (bySource[label] ?? 0) + n / r.shards;
    }
    const calls = lines().slice(before).map((l) => /^\d+\s+(\w+)\(/.exec(l)?.[1]).filter(Boolean);
    return {
      shards: r.shards,
      sent: bySource,
      inScripts: inScripts / r.shards,
      fsyncs: trace ? calls.filter((c) => c === 'fsync' || c === 'fdatasync').length / r.shards : null,
      renames: trace ? calls.filter((c) => c!.startsWith('rename')).length / r.shards : null,
    };
  } finally {
    await stopWorkers([w]);
  }
}

interface LocalResult { seconds: number; rowsPerSec: number; cpu: number; load: number }

/** The local baseline: `runLocal` of the same rows in one shard, in a warm process of its own (child.ts `local`). */
async function localRun(ctx: Ctx, data: string, warm: string, out: string, shardRows?: number): Promise<LocalResult> {
  const load = loadavg()[0];
  const printed = await new Promise<string>((res, rej) => {
    const p = spawn(process.execPath, [...nodeArgs(), CHILD, 'local', join(ctx.dir, 'repo'), String(FEATURES), warm, data, join(ctx.dir, out), String(BATCH), 'mlp@bench', ...(shardRows ? [String(shardRows)] : [])],
      { cwd: ctx.dir, env: { ...ctx.env, ORTQ_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    p.stdout!.on('data', (d) => { stdout += String(d); });
    p.once('exit', (code) => (code === 0 ? res(stdout) : rej(new Error(`local run failed (exit ${code})`))));
  });
  const m = JSON.parse(printed.trim().split('\n').pop()!) as { seconds: number; rowsPerSec: number; cpuSeconds: number };
  return { seconds: m.seconds, rowsPerSec: m.rowsPerSec, cpu: m.cpuSeconds, load };
}

/** Starts `workers` workers, warms them up on a small run, then times one run. */
async function timedRun(ctx: Ctx, workers: number, shardRows: number, out: string): Promise<RunResult> {
  const ws = Array.from({ length: workers }, () => startWorker(ctx));
  await Promise.all(ws.map((w) => w.ready));
  try {
    await warmUp(ctx, ws, out);
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
    return { ...r, cpu: used, redisPerShard: calls / r.shards, load, timeline: await shardTimeline(r.runDir) };
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
  const tl = r.timeline ? `; per shard (receipts, median): work ${r.timeline.workMs} ms, work done → next start ${r.timeline.gapMs} ms (p90 ${r.timeline.gapP90Ms})` : '';
  return `    ${name}: ${r.seconds.toFixed(2)} s, ${f(r.rowsPerSec)} rows/s, ${r.shards} shards, ${r.redisPerShard.toFixed(1)} Redis commands/shard, ` +
    `CPU s: ${cpu}; load before ${r.load.toFixed(2)}${tl}`;
}

/** issue 10's queue row, for the engine table (main.ts) */
export interface QueueRow {
  rows: number;
  shards: number;
  localRowsPerSec: number;
  queueRowsPerSec: number;
  /** queue rows/s over local rows/s, wall clock (manifest durations) */
  ratio: number;
  /** the same per CPU-second: local process vs worker + shard process + redis-server */
  cpuRatio: number;
  /** (queue seconds − local seconds) / shards */
  perShardMs: number;
  pass: boolean;
  target: string;
  /**
   * the floor: the CPU of one durable commit of a shard's part and receipt (bench/commit.ts, mean, on the
   * runs' file system), which every shard pays before it is acknowledged (its fsync waits overlap the
   * next shard's work), and the best ratio it leaves
   */
  floorMs: number;
  floorRatio: number;
  /** the target is out of reach of the floor */
  belowFloor: boolean;
}

export async function runQueueBench(opts: { dir: string; rows?: number; only?: RunName[]; repeat?: number }): Promise<QueueRow | null> {
  const rows = opts.rows ?? 1_000_000;
  const only = new Set(opts.only ?? RUNS);
  if (spawnSync('redis-server', ['--version']).status !== 0) {
    process.stdout.write('\nqueue benchmarks skipped: redis-server is not installed\n');
    return null;
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
      ORTQ_HOME: join(dir, '.ortq'), ORTQ_LOG_LEVEL: process.env.ORTQ_LOG_LEVEL === 'debug' ? 'debug' : 'info', ORTQ_LOG_FORMAT: 'json', ORTQ_INTRA_OP_THREADS: '1',
      // as the engine benchmark's measuring processes get it (main.ts)
      GLIBC_TUNABLES: process.env.GLIBC_TUNABLES ?? 'glibc.malloc.hugetlb=1',
    };
    const save = spawnSync(process.execPath, [BIN, 'models', 'save', 'mlp', join(dir, 'mlp.onnx'), '--alias', 'bench'], { cwd: dir, env, encoding: 'utf8' });
    if (save.status !== 0) throw new Error(`models save failed: ${save.stderr}`);
    await writeFile(join(dir, 'job.yaml'), jobYaml(data));
    await writeFile(join(dir, 'warmup.yaml'), jobYaml(warm));
    const ctx: Ctx = { dir, env, redis, redisPid: server.pid! };
    const res: Partial<Record<RunName, RunResult>> = {};
    const f = (n: number) => Math.round(n).toLocaleString('en');
    const ms = (n: number) => n.toFixed(2);
    const lines = ['', `queue benchmarks (MLP ${FEATURES}→64→32→10, ${f(rows)} rows, Arrow IPC, batch ${BATCH}, 1 intra-op thread per worker, warm workers):`];
    // the per-shard cost: local and 100-shard runs alternated (A B A B …), the least time of each kind compared
    const locals: LocalResult[] = [];
    // l100: the local run of the same 100 shards in one process, no queue: what the run core costs per shard
    const local100s: LocalResult[] = [];
    const q100s: RunResult[] = [];
    const shardRows = Math.ceil(rows / SHARDS);
    // the floor: what one shard's durable commit costs on this file system, before the runs leave
    // their output to be written back
    const commit = only.has('local') && only.has('q100') ? (await timeCommits(30, shardRows, ctx.dir)).together : null;
    for (let i = 0; i < Math.max(1, opts.repeat ?? 1); i++) {
      if (only.has('local')) locals.push(await localRun(ctx, data, warm, `out/local-${i}`));
      if (only.has('q100')) q100s.push(await timedRun(ctx, 1, shardRows, `out/q100-${i}`));
      if (only.has('l100')) local100s.push(await localRun(ctx, data, warm, `out/l100-${i}`, shardRows));
    }
    const least = <T extends { seconds: number }>(xs: T[]) => xs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
    let row: QueueRow | null = null;
    if (locals.length && q100s.length && commit) {
      const l = least(locals);
      const q = least(q100s);
      const n = q.shards;
      const perShardMs = ((q.seconds - l.seconds) / n) * 1000;
      const qCpu = (q.cpu.worker ?? 0) + (q.cpu['shard process'] ?? 0) + (q.cpu['redis-server'] ?? 0);
      const ratio = q.rowsPerSec / l.rowsPerSec;
      row = {
        rows, shards: n, localRowsPerSec: l.rowsPerSec, queueRowsPerSec: q.rowsPerSec, ratio, cpuRatio: l.cpu / qCpu, perShardMs,
        pass: ratio >= TARGET_RATIO && perShardMs <= TARGET_MS, target: `≥ ${TARGET_RATIO}×, ≤ ${TARGET_MS} ms/shard`,
        floorMs: 0, floorRatio: 1, belowFloor: false,
      };
      // the commit's fsync waits overlap the next shard's work (src/queue/shard-worker.ts): what a shard
      // cannot hide is the commit's CPU, which the local run pays once
      row.floorMs = commit.cpuMs;
      row.floorRatio = l.seconds / (l.seconds + (n * row.floorMs) / 1000);
      row.belowFloor = row.floorRatio < TARGET_RATIO || row.floorMs > TARGET_MS;
      lines.push(`  per-shard cost: 1 worker, ${n} shards ${q.seconds.toFixed(2)} s (${f(q.rowsPerSec)} rows/s) vs local, 1 shard ${l.seconds.toFixed(2)} s (${f(l.rowsPerSec)} rows/s): ` +
        `${ratio.toFixed(2)}× of local, ${ms(perShardMs)} ms per shard (target ≥ ${TARGET_RATIO}×, ≤ ${TARGET_MS} ms) ${row.pass ? 'pass' : row.belowFloor ? 'FAIL (floor)' : 'FAIL'}`);
      lines.push(`    floor: a shard's durable commit alone (its part's bytes written, then part + receipt made durable: 2 fsync waits; 30 of them, bench/commit.ts) ` +
        `${ms(commit.medianMs)} ms wall (median), overlapped with the next shard's work, and ${ms(row.floorMs)} ms CPU (mean), which is not: at best ${row.floorRatio.toFixed(2)}× of local with ${n} shards`);
      lines.push(`    runs (A/B alternated, least of each compared): local ${locals.map((x) => `${x.seconds.toFixed(2)} s (${x.cpu.toFixed(2)} CPU-s, load ${x.load.toFixed(1)})`).join(', ')}; ` +
        `${n} shards ${q100s.map((x) => `${x.seconds.toFixed(2)} s (load ${x.load.toFixed(1)})`).join(', ')}`);
      const per = (v: number) => ms((v / n) * 1000);
      lines.push(`    per shard over local: wall ${ms(perShardMs)} ms; CPU ms: shard process ${per((q.cpu['shard process'] ?? 0) - l.cpu)} (its CPU less the local run's), ` +
        `worker ${per(q.cpu.worker ?? 0)}, redis-server ${per(q.cpu['redis-server'] ?? 0)}, enqueue --wait ${per(q.cpu['enqueue --wait'] ?? 0)} (its whole process, start-up and planning included; not in the ratios)`);
    }
    if (local100s.length) {
      const l = least(local100s);
      lines.push(`  local, ${SHARDS} shards in one process (no queue; the run core's own cost per shard): ${local100s.map((x) => `${x.seconds.toFixed(2)} s (${x.cpu.toFixed(2)} CPU-s, load ${x.load.toFixed(1)})`).join(', ')}` +
        (locals.length ? `; least ${l.seconds.toFixed(2)} s, ${ms(((l.seconds - least(locals).seconds) / SHARDS) * 1000)} ms per shard over the 1-shard local run` : '') +
        (q100s.length ? `, the queued run ${ms(((least(q100s).seconds - l.seconds) / SHARDS) * 1000)} ms per shard over it` : ''));
    }
    if (only.has('count') && (q100s.length || only.has('q100'))) {
      const c = await countRun(ctx, shardRows, 'out/q100');
      const sent = Object.entries(c.sent).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ');
      lines.push(`    per shard, counted on a separate run (MONITOR, strace): Redis commands sent ${sent}; inside scripts ${c.inScripts.toFixed(1)}; ` +
        (c.fsyncs === null ? 'fsyncs not counted (no strace)' : `fsyncs ${c.fsyncs.toFixed(2)}, renames ${c.renames!.toFixed(2)} (worker and shard process, the run's finalize included)`));
    }
    if (only.has('one')) res.one = await timedRun(ctx, 1, rows, 'out/one-shard');
    if (only.has('many')) res.many = await timedRun(ctx, 1, Math.max(1, Math.floor(rows / 1000)), 'out/many-shards');
    if (only.has('w1')) res.w1 = await timedRun(ctx, 1, Math.max(1, Math.floor(rows / 50)), 'out/w1');
    if (only.has('w2')) res.w2 = await timedRun(ctx, 2, Math.max(1, Math.floor(rows / 50)), 'out/w2');
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
    q100s.forEach((q, i) => lines.push(describe(`q100 #${i + 1}`, q)));
    for (const name of RUNS) if (res[name]) lines.push(describe(name, res[name]));
    process.stdout.write(lines.join('\n') + '\n\n');
    return row;
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
    repeat: Number(arg('--repeat') ?? 1),
    only: arg('--only')?.split(',').filter((n): n is RunName => (RUNS as readonly string[]).includes(n)),
  });
}
