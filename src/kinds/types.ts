/**
 * Shapes of a job kind (predict, train, ...) and of what the run core
 * (src/runs/) stores for every kind. Types only: no runtime here.
 *
 * A kind is plugged into the core in four pieces:
 *   gather (I/O: resolve the model once, fingerprint inputs) →
 *   plan   (pure: spec + facts → run id and a list of steps) →
 *   runStep (one step → a receipt naming the files it committed) →
 *   finalize (pure: plan + receipts → the manifest, run.json).
 * The core owns everything else: the run directory, the lock, receipts on
 * disk, verification, the ledger, and local or queued execution.
 */
import type { Logger } from 'pino';
import type { OrtqConfig } from '../config.js';
import type { AtomicGroup } from '../fs/atomic.js';
import type { ModelRepository } from '../repo/model-repository.js';

export type RunStatus = 'completed' | 'failed' | 'running' | 'queued' | 'cancelled' | 'interrupted';
export type RunMode = 'local' | 'queue';

/** A validated job spec: every kind has a kind and a name (`[a-z0-9][a-z0-9._-]*`). */
export interface JobSpecBase {
  kind: string;
  name: string;
}

/** The exact model version a run was planned with; every step uses this digest. */
export interface PinnedModel {
  name: string;
  version: string;
  /** `name:version` */
  tag: string;
  /** what the spec asked for, e.g. `iris@champion` */
  requested: string;
  digest: string;
}

/** One unit of work: a shard of rows (predict) or a pipeline step (train → evaluate → register → promote). */
export interface StepPlan {
  index: number;
  /** file-name and BullMQ-job-id safe (`[A-Za-z0-9_.-]`), e.g. `00042` or `train` */
  id: string;
  /** rows the step reads, for progress; null when unknown or not row-shaped */
  rows: number | null;
}

/**
 * What the core reads from every kind's plan. A plan is plain JSON: it is
 * stored as `_plan.json` and its run id travels in BullMQ job data.
 */
export interface RunPlanBase {
  runId: string;
  /** absolute directory the run is being built in (src/runs/layout.ts decides it) */
  runDir: string;
  job: JobSpecBase;
  model?: PinnedModel;
  totalRows: number | null;
  createdAt: string;
}

/** A file a step committed inside the run directory; verified at finalize and by `ortq runs verify`. */
export interface StepFile {
  /** name relative to the run directory */
  path: string;
  bytes: number;
  /**
   * `<algorithm>:<hex>` of its bytes (src/io/digest.ts), null when not taken.
   * Receipts of run format 1 held a bare hex `sha256` instead: the run store
   * reads them as `sha256:<hex>` here.
   */
  digest: string | null;
  rows?: number;
}

/** Written as `_shards/<step>.json` after the step's files are in place: the step is done. */
export interface StepReceipt {
  step: string;
  files: StepFile[];
  rows: { read: number; written: number; skipped: number };
  startedAt: string;
  finishedAt: string;
  host: string;
  pid: number;
  /** what the kind wants to keep (batches, metrics, a registered tag, ...) */
  detail?: Record<string, unknown>;
}

export interface StepFailure {
  step: string;
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

/** What the core reads from every kind's manifest (`run.json`, written last). */
export interface RunManifestBase {
  runId: string;
  kind: string;
  status: RunStatus;
  job: { name: string; spec: unknown };
  model?: PinnedModel;
  /**
   * RUN_FORMAT_VERSION when it was written; absent: format 1 (digests were a
   * bare hex `sha256` field where format 2 has `digest`, see src/io/digest.ts)
   */
  format?: number;
  /** every file of the run, relative to the run directory; `sha256`: a format-1 manifest's digest */
  outputs: Array<{ path: string; rows?: number; bytes: number; digest?: string | null; sha256?: string | null }>;
  rows: { read: number; written: number; skipped: number };
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  host: string;
  mode: RunMode;
  failures?: StepFailure[];
  /** the kind's one-line summary (JobKind.summary), written by the core, shown by `runs list` and `ortq status` */
  summary?: string;
}

/** Services a kind may use; the core passes them in, the kind never builds its own. */
export interface KindContext {
  config: Readonly<OrtqConfig>;
  repo: ModelRepository;
  logger?: Logger;
  /**
   * gather only: this process runs the steps next (a local run), so a kind
   * may start their slow setup (an inference session) while it gathers
   */
  stepsHere?: boolean;
}

export interface StepContext extends KindContext {
  /** rows done so far in this step (advisory) */
  onProgress?: (rowsDone: number) => void;
  /**
   * where a step may stage the files it writes instead of committing each:
   * the run core makes them durable together with the step's receipt, in two
   * waits for the disk (src/runs/steps.ts, AtomicGroup in src/fs/atomic.ts)
   */
  commit?: AtomicGroup;
}

/** How the run core and the CLI describe a run of this kind in one line. */
export interface RunSummaryLine {
  /** e.g. `800000 rows written (model iris:3, 1200000 rows/s)` */
  text: string;
}

export interface PlanOptions {
  /** target rows per shard, for kinds that shard rows */
  shardRows?: number;
  now?: Date;
}

/**
 * A job kind. `Facts` are what `gather` found out by I/O (the resolved model,
 * input fingerprints); `plan` is pure over the spec and the facts.
 */
export interface JobKind<
  Spec extends JobSpecBase = JobSpecBase,
  Facts = unknown,
  Plan extends RunPlanBase = RunPlanBase,
  Manifest extends RunManifestBase = RunManifestBase,
> {
  readonly name: string;
  /** the BullMQ work queue its steps go to ('predict', 'train') */
  readonly queue: string;
  /**
   * 'parallel': steps are independent (shards; any order, any worker);
   * 'sequence': each step needs the one before (run in order locally, a chain of jobs on the queue)
   */
  readonly order: 'parallel' | 'sequence';
  /** validates and normalizes a raw spec; ORTQ_JOB_INVALID lists every problem */
  parseSpec(raw: Record<string, unknown>, opts: { baseDir: string; source: string }): Spec;
  /** the directory that holds this job's `run=<id>/` directories and its latest pointer */
  outputRoot(spec: Spec): string;
  /** I/O: resolves the model (once per run) and fingerprints inputs */
  gather(spec: Spec, ctx: KindContext): Promise<Facts>;
  /** pure: the run id and its steps; `runDir` is given by the core (src/runs/layout.ts) */
  plan(spec: Spec, facts: Facts, opts: PlanOptions & { runDirFor(runId: string): string }): Plan;
  steps(plan: Plan): readonly StepPlan[];
  /**
   * A resource that at most one run at a time may use under the queue (a
   * train run: its model, `train:<model>`): a step of another run that holds
   * it waits (delayed, not failed) until it is free. Held in Redis from the
   * run's first step to its last, renewed while a step runs. Absent or null:
   * runs of this kind never exclude each other.
   */
  exclusive?(plan: Plan): string | null;
  /**
   * Its steps act outside the run directory (a train run registers a model
   * version), so an unfinished attempt is never thrown away: a failed or
   * killed `--force` attempt is kept (hidden) and the next `--force` resumes
   * it, and `--force` on an unfinished run resumes that run, instead of
   * starting an attempt whose side effects would duplicate the first's.
   */
  effectsOutsideRun?: boolean;
  /**
   * Does one step: writes its files into `plan.runDir` atomically (temp name,
   * fsync, rename) and returns the receipt. The core writes the receipt.
   */
  runStep(plan: Plan, step: StepPlan, ctx: StepContext): Promise<StepReceipt>;
  /** pure: the manifest from the plan and the receipts of every step that finished */
  finalize(plan: Plan, receipts: ReadonlyMap<string, StepReceipt>, info: {
    mode: RunMode;
    startedAt: string;
    finishedAt: Date;
    failures: StepFailure[];
    versions: Record<string, string>;
    host: string;
  }): Manifest;
  /** one line for the CLI, `ortq status` and the dashboard */
  summary(manifest: Manifest): RunSummaryLine;
  /**
   * What this kind adds to the `--json` summary that `ortq run` and
   * `ortq enqueue --wait` print (a train run: candidate, verdict, metrics, …);
   * absent: the core's fields only
   */
  summaryFields?(manifest: Manifest): Record<string, unknown>;
  /**
   * Lines `ortq run` and `ortq enqueue --wait` print under the summary line
   * of a finished run (a train run: each threshold passed or failed, the
   * replay's findings); absent: none
   */
  details?(manifest: Manifest): string[];
  /**
   * The registry name a run of this kind works on, as the queue's run record
   * keeps it (`model`) when the plan pins no model version (a train run:
   * the model it trains); absent: `plan.model`'s tag
   */
  recordModel?(plan: Plan): string;
  /** Kinds that train models: how a finished run ended, for the training metrics; absent or null: not counted there */
  outcome?(manifest: Manifest): RunOutcome | null;
}

/**
 * How a run of a kind that trains models ended, for the training metrics
 * (`ortq_train_runs_total{model,verdict}`, `ortq_train_duration_seconds{model}`,
 * `ortq_promotions_total{model}`), which the queue counts in Redis once per
 * run end, in the script that closes the run record.
 */
export interface RunOutcome {
  /** the registry name the run trains */
  model: string;
  /** `blessed`, `rejected`, `pending_approval`; `failed` for a failed run */
  verdict: string;
  /** the run moved an alias to its candidate */
  promoted: boolean;
}

/** A kind with its type parameters erased, as the registry hands it out. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyJobKind = JobKind<any, any, any, any>;
