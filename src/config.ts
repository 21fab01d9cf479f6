import { readFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { OrtqError } from './errors.js';
import { choiceSetting, driftKernelSetting } from './env-settings.js';

export { driftKernelSetting };

const ConfigSchema = z.strictObject({
  repository: z.strictObject({
    path: z.string().default('./.ortq/models'),
    trust: z.strictObject({
      requireSignature: z.boolean().default(false),
      publicKeys: z.array(z.string()).default([]),
    }).prefault({}),
  }).prefault({}),
  inference: z.strictObject({
    executionProvider: z.enum(['cpu', 'cuda']).default('cpu'),
    intraOpThreads: z.number().int().min(0).default(0),
    interOpThreads: z.number().int().min(0).default(1),
    /**
     * inference threads per model per process, each with its own onnxruntime
     * session: consecutive batches are scored at once on different cores.
     * With more than one and intraOpThreads unset, each session gets
     * cores / threads intra-op threads. 0 (auto): 2 on two or more cores for
     * tree ensembles, whose inference dominates a run, else 1 (see
     * inferenceThreadCount). @defaultValue 0
     */
    threads: z.number().int().min(0).max(64).default(0),
    /**
     * let onnxruntime's idle threads spin (busy-wait) for work instead of
     * sleeping. Spinning only saves wake-ups between a run's operators; in a
     * batch pipeline it burns a core the reader, writer and drift counting
     * need (docs/perf/drift.md). @defaultValue false
     */
    allowSpinning: z.boolean().default(false),
  }).prefault({}),
  redis: z.strictObject({
    url: z.string().default('redis://127.0.0.1:6379'), // DEFAULT_REDIS_URL in queue/redis-url.ts
    prefix: z.string().min(1).default('ortq'),
  }).prefault({}),
  queue: z.strictObject({
    shardRows: z.number().int().positive().default(1_000_000),
    attempts: z.number().int().positive().default(5),
    backoffMs: z.number().int().nonnegative().default(2000),
    workerConcurrency: z.number().int().positive().default(1),
    recycleAfterShards: z.number().int().positive().default(10_000),
    recycleAboveRssMb: z.number().int().positive().default(4096),
    shutdownGraceMs: z.number().int().nonnegative().default(30_000),
    /** a shard whose worker is silent this long goes to another worker @defaultValue 30000 */
    lockDurationMs: z.number().int().positive().optional(),
    /** how often stalled shards are looked for @defaultValue 30000 */
    stalledIntervalMs: z.number().int().positive().optional(),
  }).prefault({}),
  worker: z.strictObject({
    /** work queues `ortq worker` serves when --queues is not given (checked against the known queues when a worker starts) */
    queues: z.array(z.string().min(1)).min(1).default(['predict']),
    /** train steps one worker process runs at once (each in its own child process) @defaultValue 1 */
    trainConcurrency: z.number().int().positive().default(1),
  }).prefault({}),
  metrics: z.strictObject({ port: z.number().int().min(0).default(0) }).prefault({}),
});

export type OrtqConfig = z.infer<typeof ConfigSchema>;

/** 1/true and 0/false; anything else is passed on as it is, for the schema to refuse (not taken as off). */
const envSwitch = (v: string): unknown => (v === '1' || v === 'true' ? true : v === '0' || v === 'false' ? false : v);

const ENV_OVERRIDES: Array<[string, string[], (v: string) => unknown]> = [
  ['MODEL_REPO_PATH', ['repository', 'path'], String],
  ['ORTQ_REQUIRE_SIGNATURE', ['repository', 'trust', 'requireSignature'], envSwitch],
  ['ORTQ_EXECUTION_PROVIDER', ['inference', 'executionProvider'], String],
  ['ORTQ_INTRA_OP_THREADS', ['inference', 'intraOpThreads'], Number],
  ['ORTQ_INFERENCE_THREADS', ['inference', 'threads'], Number],
  ['ORTQ_ALLOW_SPINNING', ['inference', 'allowSpinning'], envSwitch],
  ['REDIS_URL', ['redis', 'url'], String],
  ['ORTQ_REDIS_PREFIX', ['redis', 'prefix'], String],
  ['ORTQ_WORKER_CONCURRENCY', ['queue', 'workerConcurrency'], Number],
  ['ORTQ_SHARD_ROWS', ['queue', 'shardRows'], Number],
  ['ORTQ_METRICS_PORT', ['metrics', 'port'], Number],
  ['ORTQ_RECYCLE_AFTER_SHARDS', ['queue', 'recycleAfterShards'], Number],
  ['ORTQ_RECYCLE_ABOVE_RSS_MB', ['queue', 'recycleAboveRssMb'], Number],
  ['ORTQ_LOCK_DURATION_MS', ['queue', 'lockDurationMs'], Number],
  ['ORTQ_STALLED_INTERVAL_MS', ['queue', 'stalledIntervalMs'], Number],
  ['ORTQ_WORKER_QUEUES', ['worker', 'queues'], (v) => v.split(',').map((q) => q.trim()).filter(Boolean)],
  ['ORTQ_TRAIN_CONCURRENCY', ['worker', 'trainConcurrency'], Number],
];

function setPath(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let cur = obj;
  for (const key of path.slice(0, -1)) {
    if (typeof cur[key] !== 'object' || cur[key] === null) cur[key] = {};
    cur = cur[key] as Record<string, unknown>;
  }
  cur[path[path.length - 1]] = value;
}

function readYaml(file: string): Record<string, unknown> {
  try {
    return (parseYaml(readFileSync(file, 'utf8')) as Record<string, unknown>) ?? {};
  } catch (err) {
    throw new OrtqError('ORTQ_CONFIG_INVALID', `cannot read config ${file}: ${(err as Error).message}`, { file });
  }
}

/**
 * Loads configuration in stages: built-in defaults, config/default.yaml in the
 * working directory, the file in ORTQ_CONFIG, then environment variables.
 * The result is validated once and frozen.
 */
export function loadConfig(opts: { env?: NodeJS.ProcessEnv; cwd?: string; file?: string } = {}): Readonly<OrtqConfig> {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  logSettings(env); // a wrong ORTQ_LOG_LEVEL fails every command at once, not at its first log line
  // the same for the engine's switches read at use: a worker with a bad one stops at start instead of failing every shard
  parquetReaderSetting(env);
  csvReaderSetting(env);
  predictPathSetting(env);
  duckDbThreadsSetting('csv', env); // checks the Parquet one too
  driftKernelSetting(env);
  let raw: Record<string, unknown> = {};
  const local = resolve(cwd, 'config/default.yaml');
  if (existsSync(local)) raw = readYaml(local);
  const extra = opts.file ?? env.ORTQ_CONFIG;
  if (extra) raw = deepMerge(raw, readYaml(resolve(cwd, extra)));
  for (const [name, path, conv] of ENV_OVERRIDES) {
    const v = env[name];
    if (v !== undefined && v !== '') setPath(raw, path, conv(v));
  }
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => describeIssue(i, env)).join('; ');
    throw new OrtqError('ORTQ_CONFIG_INVALID', `invalid configuration: ${problems}`);
  }
  return deepFreeze(parsed.data);
}

/** The keys an object of the schema accepts at `path` (defaults and prefaults unwrapped). */
function keysAt(path: PropertyKey[]): string[] {
  let node: unknown = ConfigSchema;
  const unwrap = (n: unknown): unknown => {
    let cur = n as { _zod?: { def?: { innerType?: unknown } } };
    while (cur?._zod?.def?.innerType) cur = cur._zod.def.innerType as typeof cur;
    return cur;
  };
  for (const key of path) node = (unwrap(node) as { shape?: Record<string, unknown> }).shape?.[String(key)];
  return Object.keys((unwrap(node) as { shape?: Record<string, unknown> })?.shape ?? {});
}

/** One problem: its dotted path, what is wrong, the valid keys of an unknown one, and the variable that set it. */
function describeIssue(i: z.core.$ZodIssue, env: NodeJS.ProcessEnv): string {
  const where = i.path.join('.') || '(top level)';
  if (i.code === 'unrecognized_keys') {
    const keys = i.keys.map((k) => (i.path.length ? `${where}.${k}` : k));
    return `unknown key${keys.length > 1 ? 's' : ''} ${keys.map((k) => `"${k}"`).join(', ')} (valid in ${where}: ${keysAt(i.path).join(', ')})`;
  }
  const fromEnv = ENV_OVERRIDES.find(([name, p]) => env[name] && p.join('.') === i.path.join('.'));
  return `${where}: ${i.message}${fromEnv ? ` (from ${fromEnv[0]}=${fromEnv[0] === 'REDIS_URL' ? '…' : env[fromEnv[0]]})` : ''}`;
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && prev && typeof prev === 'object' && !Array.isArray(prev)
      ? deepMerge(prev as Record<string, unknown>, v as Record<string, unknown>)
      : v;
  }
  return out;
}

function deepFreeze<T>(obj: T): T {
  if (obj && typeof obj === 'object') {
    for (const v of Object.values(obj)) deepFreeze(v);
    Object.freeze(obj);
  }
  return obj;
}

/** ortq's own state directory: the run ledger and caches (ORTQ_HOME, default ./.ortq; empty means the default). */
export function ortqHome(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.ORTQ_HOME || '.ortq');
}

export interface LogSettings {
  level: string;
  /** pretty or JSON lines; undefined: pretty on a TTY */
  format: 'pretty' | 'json' | undefined;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const LOG_FORMATS = ['pretty', 'json'] as const;

/** ORTQ_LOG_LEVEL (or LOG_LEVEL) and ORTQ_LOG_FORMAT, checked: a wrong value is ORTQ_CONFIG_INVALID listing the valid ones. */
export function logSettings(env: NodeJS.ProcessEnv = process.env): LogSettings {
  const levelVar = env.ORTQ_LOG_LEVEL ? 'ORTQ_LOG_LEVEL' : env.LOG_LEVEL ? 'LOG_LEVEL' : undefined;
  const level = levelVar ? env[levelVar]! : 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new OrtqError('ORTQ_CONFIG_INVALID', `${levelVar}="${level}" is not a log level: use one of ${LOG_LEVELS.join(', ')}`, { variable: levelVar, value: level });
  }
  const format = env.ORTQ_LOG_FORMAT || undefined;
  if (format !== undefined && !(LOG_FORMATS as readonly string[]).includes(format)) {
    throw new OrtqError('ORTQ_CONFIG_INVALID', `ORTQ_LOG_FORMAT="${format}" is not a log format: use one of ${LOG_FORMATS.join(', ')}`, { variable: 'ORTQ_LOG_FORMAT', value: format });
  }
  return { level, format: format as LogSettings['format'] };
}

/** ORTQ_DEBUG: print the stack of an internal error. */
export function debugEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.ORTQ_DEBUG);
}

/**
 * The values of the environment variables a spec passes through to a child
 * (a command trainer's `trainer.env`); unset ones are left out. Read here
 * because config.ts is the only module that reads the environment.
 */
export function passthroughEnv(names: readonly string[], env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of names) {
    const v = env[n];
    if (v !== undefined) out[n] = v;
  }
  return out;
}

/**
 * ORTQ_PARQUET_READER: `duckdb` (default; DuckDB reads Parquet wherever its
 * types match, parquet-wasm the rest) or `wasm` (parquet-wasm for every file).
 */
export function parquetReaderSetting(env: NodeJS.ProcessEnv = process.env): 'duckdb' | 'wasm' {
  return choiceSetting(env, 'ORTQ_PARQUET_READER', 'a Parquet reader', ['duckdb', 'wasm']);
}

/**
 * ORTQ_CSV_READER: `duckdb` (default; DuckDB reads CSV wherever it can keep
 * csv.ts's semantics, csv-parse the rest) or `js` (csv-parse for every file).
 */
export function csvReaderSetting(env: NodeJS.ProcessEnv = process.env): 'duckdb' | 'js' {
  return choiceSetting(env, 'ORTQ_CSV_READER', 'a CSV reader', ['duckdb', 'js']);
}

/**
 * ORTQ_PREDICT_PATH: `shared` (default; Arrow inputs are read into shared
 * buffers that the inference thread copies from, and outputs come back
 * transposed so that their columns are views) or `copy` (the path before:
 * the feature tensors built and transferred by the calling thread, outputs
 * split into columns there). Both write the same bytes; `copy` is the
 * fallback and the reference the tests compare against.
 */
export function predictPathSetting(env: NodeJS.ProcessEnv = process.env): 'shared' | 'copy' {
  return choiceSetting(env, 'ORTQ_PREDICT_PATH', 'a predict path', ['shared', 'copy']);
}


/** The formats DuckDB reads, each with its own threads (duckDbThreadsSetting). */
export type DuckDbFormat = 'csv' | 'parquet';

/**
 * DuckDB's threads when nothing sets them: CSV 2, Parquet 1. Measured on the
 * quiet 2-core machine (docs/perf/readers.md, "DuckDB threads"): two threads
 * parse a CSV file in parallel (187-190k rows/s against 158-170k on one,
 * the same CPU, +40 MB peak RSS); a Parquet read already decodes on libuv's
 * pool beside the main thread, and a second DuckDB thread gained nothing.
 */
export const DUCKDB_DEFAULT_THREADS: Readonly<Record<DuckDbFormat, number>> = { csv: 2, parquet: 1 };

const DUCKDB_FORMAT_VARIABLE: Readonly<Record<DuckDbFormat, string>> = { csv: 'ORTQ_DUCKDB_CSV_THREADS', parquet: 'ORTQ_DUCKDB_PARQUET_THREADS' };

/** A positive integer from `variable`, undefined when unset or empty; anything else is ORTQ_CONFIG_INVALID naming it. */
function threadsVariable(env: NodeJS.ProcessEnv, variable: string): number | undefined {
  const raw = env[variable];
  if (!raw) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    throw new OrtqError('ORTQ_CONFIG_INVALID', `${variable}="${raw}" is not a positive integer`, { variable, value: raw });
  }
  return n;
}

/**
 * DuckDB's threads for reading one format: ORTQ_DUCKDB_CSV_THREADS or
 * ORTQ_DUCKDB_PARQUET_THREADS, else ORTQ_DUCKDB_THREADS (both formats), else
 * DUCKDB_DEFAULT_THREADS (CSV 2, Parquet 1). Every one of the three that is
 * set is checked, whichever decides.
 */
export function duckDbThreadsSetting(format: DuckDbFormat, env: NodeJS.ProcessEnv = process.env): number {
  const both = threadsVariable(env, 'ORTQ_DUCKDB_THREADS');
  const own = threadsVariable(env, DUCKDB_FORMAT_VARIABLE[format]);
  for (const other of Object.values(DUCKDB_FORMAT_VARIABLE)) threadsVariable(env, other);
  return own ?? both ?? DUCKDB_DEFAULT_THREADS[format];
}
