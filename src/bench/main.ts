/**
 * `npm run bench`: issue 10's table in one run. Each row is ortq's local
 * runner end to end (plan, read, score, write, commit) against a bare loop of
 * session.run over in-memory tensors (the ceiling), same model and batch
 * size; each measurement runs in its own child process so that its peak RSS
 * is its own. scikit-learn's in-memory predict is shown where a python3 with
 * scikit-learn exists. docs/performance.md says how to read it.
 *
 *   node dist/bench/main.js [--quick] [--only mlp-warm,forest,rss,drift,queue,…] [--dir .ortq/bench] [--queue]
 *                           [--fit-rows N] [--fit-threads T]   (fit rows: src/bench/fit.ts; --only fit for those alone)
 *                           [--no-floor]   (skip the floor runs of the Arrow rows)
 *                           [--queue-runs local,q100,count,one,many,w1,w2] [--queue-repeat N]   (src/bench/queue.ts)
 *                           [--drift-rounds R]   (ABBA rounds of the drift row; default 3 with --quick, else 2)
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { linearModel, mlpModel, treeEnsembleModel } from '../onnx/model-zoo.js';
import { writeFeatureDataset } from './datasets.js';
import { describeRuns, driftKernelName, measureDriftInRun, signedPct } from './drift-run.js';
import { FIT_HEADER, fitCells, runFitBench } from './fit.js';
import type { RunName } from './queue.js';
import { sklearnRates, type SklearnCase } from './sklearn.js';

const execFileAsync = promisify(execFile);

export const BENCH_MODELS = {
  mlp: { features: 64, outputs: 10, build: () => mlpModel({ sizes: [64, 64, 32, 10], seed: 2 }).bytes },
  linear: { features: 30, outputs: 1, build: () => linearModel({ features: 30, seed: 1 }).bytes },
  forest: { features: 4, outputs: 1, build: () => treeEnsembleModel({ trees: 50, depth: 8, features: 4, seed: 3 }).bytes },
  gbdt: { features: 30, outputs: 1, build: () => treeEnsembleModel({ trees: 60, depth: 3, features: 30, seed: 4 }).bytes },
} as const;

/**
 * The floor model of a bench model: one small MatMul with the same input and
 * output shapes (x[N, k] · W[k, m] + b). Run through ortq and through the bare
 * loop, the difference of the two is the CPU that ortq's pipeline itself
 * spends (read, copy, NaN check, thread handoff, outputs, encode, hash,
 * write, commit, and the layout change of a column-major feed), with almost
 * no inference to blur it.
 */
function floorModel(m: BenchModel): Uint8Array {
  return linearModel({ features: BENCH_MODELS[m].features, outputs: BENCH_MODELS[m].outputs, seed: 9 }).bytes;
}
export type BenchModel = keyof typeof BENCH_MODELS;
export const BATCH = 16384;

interface Measure { rowsPerSec: number; rowsPerCpuSec: number; seconds: number; cpuSeconds: number; maxRssMb: number; threads?: number }

interface Case {
  id: string;
  label: string;
  model: BenchModel;
  format: 'arrow' | 'parquet' | 'csv';
  rows: number;
  /** input already fingerprinted (a rerun over a known file) */
  warm: boolean;
  /** ortq/bare to reach, or ortq/scikit-learn for `vs: 'sklearn'` */
  target: number;
  vs?: 'sklearn';
  sklearn?: SklearnCase;
}

/** The Arrow rows against the bare loop get a measured floor (a second run of the pipeline on the floor model). */
const hasFloor = (c: Case): boolean => c.format === 'arrow' && c.vs !== 'sklearn';

function cases(quick: boolean): Case[] {
  // ortq's fixed costs (worker thread, session, plan, commit: ~0.3 s) are in every
  // row and not in the bare loop, so rows must be many for the ratio to mean much
  const n = quick ? 1_000_000 : 10_000_000;
  const gb = quick ? 1_000_000 : 4_000_000; // 64 float32 columns: 4M rows is 1 GB
  return [
    { id: 'mlp-warm', label: 'MLP 64→64→32→10, Arrow, warm', model: 'mlp', format: 'arrow', rows: n, warm: true, target: 0.85, sklearn: 'mlp' },
    { id: 'mlp-first', label: `MLP, Arrow, first sight (${gb === 4_000_000 ? '1 GB' : `${gb / 4000} MB`})`, model: 'mlp', format: 'arrow', rows: gb, warm: false, target: 0.6 },
    { id: 'mlp-parquet', label: 'MLP, Parquet', model: 'mlp', format: 'parquet', rows: quick ? 250_000 : 2_000_000, warm: true, target: 0.6 },
    { id: 'mlp-csv', label: 'MLP, CSV', model: 'mlp', format: 'csv', rows: quick ? 100_000 : 1_000_000, warm: true, target: 0.25 },
    { id: 'forest', label: 'random forest (50×depth 8), 4 features, Arrow', model: 'forest', format: 'arrow', rows: n, warm: true, target: 0.9, sklearn: 'forest' },
    { id: 'linear', label: 'linear, 30 features, Arrow', model: 'linear', format: 'arrow', rows: n, warm: true, target: 0.3, sklearn: 'logistic' },
    { id: 'gbdt', label: 'gradient boosting (60×depth 3), vs scikit-learn', model: 'gbdt', format: 'arrow', rows: n, warm: true, target: 1.0, vs: 'sklearn', sklearn: 'gbdt' },
  ];
}

/**
 * glibc malloc backed by transparent huge pages: on VMs where a first touch of
 * a 4 KB page is expensive (16 µs measured here) streaming fresh input
 * buffers is dominated by page faults. One malloc arena: with one per thread
 * (the inference thread, onnxruntime's pool, libuv's), freed output buffers
 * stayed in each thread's arena and peak RSS grew with the input (10M-row MLP
 * run 356-366 MB against 286-292 MB at 1M rows); with two, one 10M-row run in
 * 6-8 still peaked ~45 MB higher (358-361 MB against 315-318); with one,
 * 312-315 MB in 16 runs of 16, the same CPU and wall time (docs/performance.md,
 * Tuning). Both the baseline and ortq get both settings, as the Dockerfile and
 * docker-compose.yml give them to ortq.
 */
const HUGEPAGES = 'glibc.malloc.hugetlb=1:glibc.malloc.arena_max=1';
let childEnv: NodeJS.ProcessEnv = process.env;

function child(args: string[]): Measure {
  const out = execFileSync(process.execPath, [new URL('./child.js', import.meta.url).pathname, ...args], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20, env: childEnv,
  });
  return JSON.parse(out.trim().split('\n').pop()!) as Measure;
}

/** `n` children at once, as one measure: their rows/s and CPU seconds added, the longest wall time. */
async function childrenAtOnce(args: string[], n: number): Promise<Measure> {
  const runs = await Promise.all(Array.from({ length: n }, () => execFileAsync(process.execPath, [new URL('./child.js', import.meta.url).pathname, ...args], {
    encoding: 'utf8', maxBuffer: 1 << 20, env: childEnv,
  }).then(({ stdout }) => JSON.parse(stdout.trim().split('\n').pop()!) as Measure)));
  const rows = runs.reduce((a, r) => a + r.rowsPerSec * r.seconds, 0);
  const cpu = runs.reduce((a, r) => a + r.cpuSeconds, 0);
  return { rowsPerSec: runs.reduce((a, r) => a + r.rowsPerSec, 0), seconds: Math.max(...runs.map((r) => r.seconds)), cpuSeconds: cpu, rowsPerCpuSec: rows / cpu, maxRssMb: Math.max(...runs.map((r) => r.maxRssMb)) };
}

async function medianAsync(n: number, label: string, measure: () => Promise<Measure>): Promise<Measure> {
  const runs: Measure[] = [];
  for (let i = 0; i < n; i++) runs.push(await measure());
  return medianOf(runs, label);
}

/** The median of `runs` by rows/s (the lower middle of an even count), every rate on stderr. */
function medianOf(runs: Measure[], label: string): Measure {
  const sorted = [...runs].sort((a, b) => a.rowsPerSec - b.rowsPerSec);
  process.stderr.write(`${label}: ${sorted.map((r) => num(r.rowsPerSec)).join(', ')} rows/s, median taken\n`);
  return sorted[(sorted.length - 1) >> 1];
}

/**
 * The median of three runs, by rows/s. On this 2-vCPU VM the bare loop's rate is bimodal between
 * identical runs (the MLP: 10–11M or 16M+ rows/s, once 2.9M), so one run can move every ratio by 1.5×.
 */
function median(measure: () => Measure): Measure {
  return medianOf([measure(), measure(), measure()], 'bare');
}

const num = (v: number): string => Math.round(v).toLocaleString('en');

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  process.stdout.write(`\n${line(header)}\n${rows.map(line).join('\n')}\n`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      dir: { type: 'string', default: '.ortq/bench' },
      queue: { type: 'boolean', default: false },
      'queue-runs': { type: 'string' },
      'queue-repeat': { type: 'string', default: '1' },
      'no-hugepages': { type: 'boolean', default: false },
      'no-sklearn': { type: 'boolean', default: false },
      'no-floor': { type: 'boolean', default: false },
      'fit-rows': { type: 'string' },
      'fit-threads': { type: 'string', default: '1' },
      'drift-rounds': { type: 'string' },
    },
  });
  const quick = values.quick!;
  childEnv = { ...process.env, ORTQ_LOG_LEVEL: process.env.ORTQ_LOG_LEVEL ?? 'warn' };
  if (!values['no-hugepages'] && !process.env.GLIBC_TUNABLES) childEnv.GLIBC_TUNABLES = HUGEPAGES;
  process.stderr.write(`measuring in child processes with GLIBC_TUNABLES=${childEnv.GLIBC_TUNABLES ?? '(unset)'}${quick ? ', --quick' : ''}\n`);
  const dir = resolve(values.dir!);
  await mkdir(dir, { recursive: true });
  const only = values.only ? new Set(values.only.split(',')) : null;
  const todo = cases(quick).filter((c) => !only || only.has(c.id));
  const withRss = !only || only.has('rss');
  const withDrift = !only || only.has('drift');
  // the queue row (src/bench/queue.ts) with `--queue` or `--only queue`: its own Redis, workers and local run
  const withQueue = values.queue! || (only?.has('queue') ?? false);
  const models = [...new Set([...todo.map((c) => c.model), ...(withRss ? ['mlp' as const] : [])])];
  for (const m of new Set([...models, ...(withDrift ? ['mlp' as const] : [])])) await writeFile(join(dir, `${m}.onnx`), BENCH_MODELS[m].build());
  const withFloor = !values['no-floor'];
  const floorModels = withFloor ? [...new Set(todo.filter(hasFloor).map((c) => c.model))] : [];
  for (const m of floorModels) await writeFile(join(dir, `${m}-floor.onnx`), floorModel(m));

  const bareRows = String(quick ? 500_000 : 2_000_000);
  const bare = new Map<BenchModel, Measure>();
  for (const m of models) bare.set(m, median(() => child(['bare', join(dir, `${m}.onnx`), String(BENCH_MODELS[m].features), bareRows, String(BATCH)])));
  // the floors' bare runs use ortq's own session options (no spin-waiting): inference's CPU as
  // ortq spends it, and the floor model's bare CPU to take from ortq's
  const bareWith = (m: BenchModel, file: string) => median(() => child(['bare', join(dir, file), String(BENCH_MODELS[m].features), bareRows, String(BATCH), 'ortq-options']));
  const bareFloor = new Map<BenchModel, Measure>();
  for (const m of floorModels) bareFloor.set(m, bareWith(m, `${m}-floor.onnx`));
  const inferenceRuns = new Map<BenchModel, Measure>();
  const inferenceOf = (m: BenchModel): Measure => {
    let r = inferenceRuns.get(m);
    if (!r) inferenceRuns.set(m, (r = bareWith(m, `${m}.onnx`)));
    return r;
  };
  const cores = availableParallelism();
  // onnxruntime's tree kernel on every core: one bare loop per core at once (the tree kernel runs
  // one batch on one thread whatever intraOpNumThreads says, measured), as ortq's two inference threads do
  const allCoresRuns = new Map<BenchModel, Promise<Measure>>();
  const allCores = (m: BenchModel): Promise<Measure> => {
    let r = allCoresRuns.get(m);
    if (!r) allCoresRuns.set(m, (r = medianAsync(quick ? 1 : 3, 'bare on every core', () => childrenAtOnce(['bare', join(dir, `${m}.onnx`), String(BENCH_MODELS[m].features), bareRows, String(BATCH)], cores))));
    return r;
  };
  const sk = values['no-sklearn'] || !todo.some((c) => c.sklearn) ? null : sklearnRates(quick ? 100_000 : 500_000);

  const dataset = async (model: BenchModel, format: Case['format'], rows: number): Promise<string> => {
    const f = BENCH_MODELS[model].features;
    const path = join(dir, `data-${f}f-${rows}-${format}`);
    process.stderr.write(`dataset ${path}\n`);
    return writeFeatureDataset(path, format, rows, f);
  };
  const run = async (c: Case, rows: number, model = `${c.model}.onnx`): Promise<Measure> => {
    const path = await dataset(c.model, c.format, rows);
    return child(['ortq', join(dir, model), String(BENCH_MODELS[c.model].features), path, dir, String(BATCH), c.warm ? 'warm' : 'cold']);
  };

  /**
   * The best ratio this pipeline can reach on this machine: inference (the
   * model's CPU per row in a bare loop with ortq's session options) and the
   * pipeline's own CPU per row (ortq minus bare, both on the floor model)
   * share the cores, and a run can be no faster than the bare loop itself.
   * floor = bare s/row ÷ max(bare s/row, (inference CPU-s/row + pipeline
   * CPU-s/row) / cores); floor (CPU) = bare CPU-s/row ÷ (inference + pipeline
   * CPU-s/row), to read beside ratio (CPU).
   */
  const floorOf = async (c: Case, b: Measure): Promise<{ ratio: number; cpuRatio: number; pipeCpuPerRow: number } | null> => {
    const fb = bareFloor.get(c.model);
    if (!fb) return null;
    const p = await run(c, c.rows, `${c.model}-floor.onnx`);
    const pipe = Math.max(0, 1 / p.rowsPerCpuSec - 1 / fb.rowsPerCpuSec);
    const inference = 1 / inferenceOf(c.model).rowsPerCpuSec;
    const tb = 1 / b.rowsPerSec;
    const ratio = tb / Math.max(tb, (inference + pipe) / cores);
    process.stderr.write(`floor ${c.id}: pipeline ${(pipe * c.rows).toFixed(2)} CPU-s (ortq on the floor model ${p.cpuSeconds.toFixed(2)} CPU-s, `
      + `bare ${(c.rows / fb.rowsPerCpuSec).toFixed(2)}), inference ${(c.rows * inference).toFixed(2)} CPU-s with ortq's session options `
      + `(${(c.rows / b.rowsPerCpuSec).toFixed(2)} with the defaults), ${cores} cores\n`);
    const cpuRatio = (1 / b.rowsPerCpuSec) / (inference + pipe);
    return { ratio, cpuRatio, pipeCpuPerRow: pipe };
  };

  /**
   * Parquet and CSV: the floor DuckDB itself sets (src/bench/reader-floor.ts:
   * the file read alone on the reader's threads, ORTQ_DUCKDB_CSV_THREADS
   * (default 2) or ORTQ_DUCKDB_PARQUET_THREADS (default 1), nothing copied
   * out or checked; a CSV's
   * numbers parsed as DOUBLE by DuckDB, `--typed`, since no reader that
   * scores values can skip parsing them), with the same arithmetic: no run
   * can be faster than that read, nor than the bare loop, and the two share
   * the cores.
   */
  const readerFloorOf = async (c: Case, b: Measure): Promise<{ ratio: number; cpuRatio: number } | null> => {
    const path = await dataset(c.model, c.format, c.rows);
    const files = (await readdir(path)).filter((n) => n.endsWith(`.${c.format}`)).sort().map((n) => join(path, n));
    const out = execFileSync(process.execPath, [new URL('./reader-floor.js', import.meta.url).pathname, ...(c.format === 'csv' ? ['--typed'] : []), ...files], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: childEnv,
    });
    const f = JSON.parse(out.trim().split('\n').pop()!) as Measure;
    const tb = 1 / b.rowsPerSec;
    const inference = 1 / inferenceOf(c.model).rowsPerCpuSec;
    const ratio = tb / Math.max(tb, 1 / f.rowsPerSec, (inference + 1 / f.rowsPerCpuSec) / cores);
    process.stderr.write(`floor ${c.id}: DuckDB alone ${num(f.rowsPerSec)} rows/s, ${(c.rows / f.rowsPerCpuSec).toFixed(2)} CPU-s on ${f.threads ?? 1} thread(s); inference ${(c.rows * inference).toFixed(2)} CPU-s with ortq's session options, ${cores} cores\n`);
    return { ratio, cpuRatio: (1 / b.rowsPerCpuSec) / (inference + 1 / f.rowsPerCpuSec) };
  };

  const table: string[][] = [];
  for (const c of todo) {
    const b = bare.get(c.model)!;
    const r = await run(c, c.rows);
    const skRate = c.sklearn && sk ? sk[c.sklearn] : null;
    const ratio = c.vs === 'sklearn' ? (skRate ? r.rowsPerSec / skRate : NaN) : r.rowsPerSec / b.rowsPerSec;
    const cpuRatio = r.rowsPerCpuSec / b.rowsPerCpuSec;
    // against scikit-learn, the floor is onnxruntime's own kernel on every core (ortq runs tree
    // ensembles on two inference threads): that bare loop over scikit-learn's predict
    const vsSklearnFloor = c.vs === 'sklearn' && skRate && withFloor ? { ratio: (await allCores(c.model)).rowsPerSec / skRate, cpuRatio: NaN } : null;
    const floor = !withFloor ? null : hasFloor(c) ? await floorOf(c, b) : c.format !== 'arrow' ? await readerFloorOf(c, b) : vsSklearnFloor;
    const result = Number.isNaN(ratio) ? '-' : ratio >= c.target ? 'pass' : floor && floor.ratio < c.target ? 'FAIL (floor)' : 'FAIL';
    table.push([c.label, num(c.rows), num(b.rowsPerSec), num(r.rowsPerSec), c.vs === 'sklearn' ? `${ratio.toFixed(2)}× sklearn` : `${ratio.toFixed(2)}×`,
      `${cpuRatio.toFixed(2)}×`, floor ? `${floor.ratio.toFixed(2)}×` : '-', floor && !Number.isNaN(floor.cpuRatio) ? `${floor.cpuRatio.toFixed(2)}×` : '-', `≥ ${c.target}×`, result,
      skRate ? num(skRate) : '-', skRate ? `${(r.rowsPerSec / skRate).toFixed(2)}×` : '-', String(r.maxRssMb)]);
    process.stderr.write(`${table[table.length - 1].join('  ')}\n`);
  }
  // peak RSS as input grows: the same warm MLP run at 10× (quick: 4×) the rows
  if (withRss) {
    const [small, big] = quick ? [250_000, 1_000_000] : [1_000_000, 10_000_000];
    const base: Case = cases(quick)[0];
    // three runs of each size (one with --quick), alternated, the median peak of each: with two malloc arenas
    // one 10M-row MLP run in 6-8 peaked ~45 MB higher (358-361 against 315-318 MB; not the read pool, which
    // allocated 3 buffers in every run), which made a single pair pass or fail by chance; one arena (HUGEPAGES)
    // measured flat, and the median still guards against one odd run
    const pairs: Array<[Measure, Measure]> = [];
    for (let i = 0; i < (quick ? 1 : 3); i++) pairs.push([await run(base, small), await run(base, big)]);
    const mid = (ms: Measure[]): Measure => [...ms].sort((x, y) => x.maxRssMb - y.maxRssMb)[(ms.length - 1) >> 1];
    const a = mid(pairs.map((p) => p[0]));
    const z = mid(pairs.map((p) => p[1]));
    process.stderr.write(`peak RSS MB: ${num(small)} rows ${pairs.map((p) => p[0].maxRssMb).join(', ')}; ${num(big)} rows ${pairs.map((p) => p[1].maxRssMb).join(', ')}; medians taken\n`);
    const grow = z.maxRssMb / a.maxRssMb;
    table.push([`peak RSS, ${num(big)} vs ${num(small)} rows (MB)`, num(big), '-', num(z.rowsPerSec), `${grow.toFixed(2)}×`, '-', '-', '-', '≤ 1.15×, < 400 MB',
      grow <= 1.15 && z.maxRssMb < 400 ? 'pass' : 'FAIL', '-', '-', `${a.maxRssMb} → ${z.maxRssMb}`]);
  }
  // drift histograms (issue 9): a run with a profile against the same run without, ABBA, least of each (src/bench/drift-run.ts)
  if (withDrift) {
    const rows = quick ? 1_000_000 : 10_000_000;
    const f = BENCH_MODELS.mlp.features;
    const model = join(dir, 'mlp.onnx');
    const data = await dataset('mlp', 'arrow', rows);
    const profileData = await dataset('mlp', 'arrow', 100_000);
    const repo = join(dir, 'repo-profiled');
    await rm(repo, { recursive: true, force: true });
    child(['profile', model, '-', profileData, repo]);
    const rounds = Math.max(1, Number(values['drift-rounds']) || (quick ? 3 : 2));
    const d = measureDriftInRun((profiled) => child(['ortq', model, String(f), data, dir, String(BATCH), 'warm', ...(profiled ? [repo] : [])]), rounds);
    const alone = child(['drift', '-', String(f), String(rows), String(BATCH)]);
    await rm(repo, { recursive: true, force: true });
    process.stderr.write(`drift (kernel ${driftKernelName()}): A = no profile, B = profile: ${describeRuns(d)}; histograms alone ${alone.cpuSeconds.toFixed(3)} CPU-s (${((alone.cpuSeconds / d.plain.cpuSeconds) * 100).toFixed(1)}% of the run's CPU)\n`);
    table.push([`drift histograms, MLP ${f} features + 10 scores (run with profile vs without)`, num(rows), '-', num(d.profiled.rowsPerSec),
      `${signedPct(d.wallPct)} wall`, `${signedPct(d.cpuPct)} CPU`, '-', '-', '≤ +5% wall', d.wallPct <= 5 ? 'pass' : 'FAIL', '-', '-', String(d.profiled.maxRssMb)]);
    process.stderr.write(`${table[table.length - 1].join('  ')}\n`);
  }
  if (withQueue) {
    const { runQueueBench } = await import('./queue.js');
    const q = await runQueueBench({ dir, only: values['queue-runs']?.split(',') as RunName[] | undefined, repeat: Number(values['queue-repeat']) || 1 });
    if (q) {
      table.push([`queue: 1 worker, ${q.shards} shards vs local (per-shard overhead ${q.perShardMs.toFixed(2)} ms)`, num(q.rows), `${num(q.localRowsPerSec)} local`, num(q.queueRowsPerSec),
        `${q.ratio.toFixed(2)}× local`, `${q.cpuRatio.toFixed(2)}×`, `${q.floorRatio.toFixed(2)}× (${q.floorMs.toFixed(1)} ms/shard)`, '-', q.target,
        q.pass ? 'pass' : q.belowFloor ? 'FAIL (floor)' : 'FAIL', '-', '-', '-']);
    }
  }
  if (table.length > 0) printTable(['case', 'rows', 'bare rows/s', 'ortq rows/s', 'ratio', 'ratio (CPU)', 'floor', 'floor (CPU)', 'target', 'result', 'sklearn rows/s', 'ortq/sklearn', 'peak RSS MB'], table);
  if (table.length > 0) process.stdout.write(`\nratio = ortq/bare wall-clock rows/s (gbdt: ortq/scikit-learn); ratio (CPU) = the same per CPU-second, steadier on a shared machine.\n`);
  if (table.length > 0 && withFloor) process.stdout.write(`floor = the best ratio reachable with this pipeline on ${cores} cores: bare time per row ÷ max(bare time per row, (inference CPU + pipeline CPU per row) / cores), inference CPU = a bare loop with ortq's session options, pipeline CPU = ortq minus bare on a one-MatMul model of the same shapes (Parquet, CSV: DuckDB reading the file alone on the reader's threads (ORTQ_DUCKDB_CSV_THREADS, default 2; ORTQ_DUCKDB_PARQUET_THREADS, default 1), nothing copied or checked, a CSV's numbers parsed as DOUBLE, src/bench/reader-floor.ts, which also bounds the time per row; gradient boosting: one bare onnxruntime loop per core at once over scikit-learn, onnxruntime's tree kernel being fixed); floor (CPU) = bare CPU ÷ (inference CPU + pipeline CPU) per row, to read beside ratio (CPU); FAIL (floor) = the target is above the floor (docs/performance.md).\n`);
  if (withDrift) process.stdout.write('drift row: the warm MLP run with a reference profile (histograms counted) against the same run without, ABBA order, least wall and least CPU of each; ratio (judged) = wall time with over without, ratio (CPU) = CPU seconds (all threads) with over without. stderr has every run.\n');
  if (withQueue) process.stdout.write('queue row: bare rows/s is a local run of the same rows in one shard; ratio = queue/local rows/s from the runs\' manifests; per-shard overhead = (queue s − local s) / shards; floor = local s / (local s + shards × the CPU of one shard\'s durable commit alone, whose fsync waits overlap the next shard), its CPU ms in brackets; breakdown printed above the table.\n');
  if (!sk && todo.some((c) => c.sklearn)) process.stdout.write('scikit-learn figures skipped (no python3 with scikit-learn; Debian: apt-get install python3-sklearn).\n');
  // fit time of the built-in trainers vs scikit-learn (issue 8)
  const fitIds = (id: string) => !only || only.has('fit') || only.has(id);
  const fitRows = values['fit-rows'] ? Number(values['fit-rows']) : null;
  const fits = runFitBench({
    linearRows: fitRows ?? (quick ? 100_000 : 1_000_000), gbdtRows: fitRows ?? (quick ? 20_000 : 1_000_000), gbdtIterations: quick ? 20 : 100,
    threads: Math.max(1, Number(values['fit-threads']) || 1), sklearn: !values['no-sklearn'], want: fitIds,
  });
  if (fits.length > 0) {
    printTable(FIT_HEADER, fits.map(fitCells));
    process.stdout.write(`\nratio = ortq/scikit-learn fit seconds (lower is better); result judged on ratio (CPU), both sides on ${values['fit-threads']} thread(s).\n`);
  }
}

await main();
