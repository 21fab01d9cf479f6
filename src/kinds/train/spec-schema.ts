import { z } from 'zod';
import { Duration } from './duration.js';
import { METRIC_NAMES } from './metric-catalog.js';
import { GuardsSchema, RollbackSchema, TriggerSchema } from '../../triggers/spec.js';

const JOB_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const SEGMENT = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const InputPath = z.object({
  path: z.string().min(1).describe('a file, a directory or a glob; relative paths resolve against the current directory'),
  format: z.enum(['parquet', 'arrow', 'arrows', 'csv']).optional(),
}).strict();

const Split = z.object({
  split: z.object({
    fraction: z.number().gt(0).lt(1).describe('share of the train rows held out for evaluation'),
    seed: z.number().int().min(0).default(0),
  }).strict(),
}).strict();

const BuiltinTrainer = z.object({
  builtin: z.enum(['linear', 'logistic', 'gbdt']),
  threads: z.number().int().min(1).max(256).optional().describe('threads the trainer may use @defaultValue 1'),
}).strict();

const CommandTrainer = z.object({
  command: z.array(z.string().min(1)).min(1).describe('program and arguments, run without a shell'),
  files: z.array(z.string().min(1)).default([]).describe('files whose sha256 is part of the trainer identity (the script itself)'),
  timeout: Duration.default('30m'),
  grace: Duration.default('10s').describe('time between SIGTERM and SIGKILL on timeout'),
  env: z.array(z.string().regex(ENV_NAME, 'an environment variable name')).default([])
    .describe('variables passed through from ortq\'s environment; nothing else is'),
  inputFormat: z.enum(['parquet', 'csv', 'arrow']).default('parquet'),
  maxOutputBytes: z.number().int().positive().default(1 << 30).describe('refuse an output folder larger than this'),
  warmStart: z.boolean().default(false).describe('the trainer starts from input/model/; the champion digest then joins the run id'),
  threads: z.number().int().min(1).max(256).optional().describe('ORTQ_NUM_THREADS @defaultValue 1'),
}).strict();

const Threshold = z.object({
  min: z.number().optional().describe('the candidate must reach at least this'),
  max: z.number().optional().describe('the candidate must stay at or below this'),
  maxRegression: z.number().min(0).optional().describe('at most this much worse than the champion'),
}).strict().refine((t) => t.min !== undefined || t.max !== undefined || t.maxRegression !== undefined, 'set min, max or maxRegression');

const PromoteMode = z.enum(['auto', 'manual', 'never']);

const Replay = z.object({
  runs: z.number().int().min(1).max(100).default(3).describe("the model's last N completed prediction runs whose inputs are re-scored"),
  maxShift: z.object({
    psi: z.number().positive().optional().describe('PSI of the candidate\'s predictions against the champion\'s on the same rows'),
    flipRate: z.number().min(0).max(1).optional().describe('share of rows whose predicted class differs (classification)'),
  }).strict().refine((m) => m.psi !== undefined || m.flipRate !== undefined, 'set psi, flipRate or both'),
}).strict();

const PromoteObject = z.object({
  mode: PromoteMode.default('auto'),
  replay: Replay.optional().describe('before an automatic promotion, candidate and champion re-score the inputs of recent prediction runs; beyond maxShift the candidate waits for approval'),
  rollback: RollbackSchema.optional().describe('after an automatic promotion, roll back when the next runs drift from the candidate\'s profile (served by ortq scheduler); not part of the run id'),
}).strict();

/**
 * `promote: auto` is `promote: { mode: auto }`; the parsed spec always has the object form
 * (the one normalisation: the scheduler's view of a job, src/triggers/watched-jobs.ts, uses it too).
 */
export const Promote = z.union([PromoteMode, PromoteObject]).default('manual')
  .transform((p) => (typeof p === 'string' ? { mode: p } : p));

/** The train job schema: the single source for validation and the published JSON Schema. */
export const TrainJobSchema = z.object({
  kind: z.literal('train'),
  name: z.string().regex(JOB_NAME, 'lowercase letters, digits, ".", "_" or "-", at most 63 characters'),
  model: z.string().regex(SEGMENT, 'a model name').describe('registry name the candidate is saved under'),
  champion: z.string().min(1).optional().describe('tag the candidate must beat, e.g. iris@champion; absent or missing: evaluate.noChampion'),
  data: z.object({
    train: InputPath,
    eval: z.union([InputPath, Split]).describe('held-out data, or split: {fraction, seed} of the train data (deterministic)'),
  }).strict(),
  features: z.record(z.string(), z.array(z.string().min(1)).min(1))
    .refine((r) => Object.keys(r).length > 0, 'at least one model input')
    .describe('model input name -> columns, concatenated in order into [N, k]'),
  label: z.string().min(1).describe('the target column; for classification its distinct values are the classes'),
  task: z.enum(['classification', 'regression']),
  trainer: z.union([BuiltinTrainer, CommandTrainer]),
  hyperparameters: z.record(z.string(), z.unknown()).default({}).describe('camelCase, per trainer; see docs/train.md'),
  seed: z.number().int().min(0).max(2 ** 31 - 1).default(0),
  nulls: z.enum(['error', 'skip']).default('error').describe('a null or NaN feature: fail naming the row, or drop the row'),
  evaluate: z.object({
    metrics: z.array(z.enum(METRIC_NAMES as [string, ...string[]])).min(1),
    slices: z.array(z.string().min(1)).default([]).describe('every metric per value of these columns too'),
    thresholds: z.record(z.string(), Threshold).default({}).describe('all must hold to bless'),
    noChampion: z.enum(['bless', 'pending']).default('bless'),
  }).strict(),
  promote: Promote.describe('auto | manual | never, or { mode, replay, rollback }'),
  alias: z.string().regex(SEGMENT, 'an alias name').default('champion'),
  batchSize: z.number().int().positive().max(10_000_000).default(65_536),
  triggers: z.array(TriggerSchema).default([]).describe('when `ortq scheduler` retrains: cron, drift, newData (docs/ops.md); not part of the run id'),
  guards: GuardsSchema.optional().describe('cooldown and daily cap of trigger firings per model (docs/ops.md); not part of the run id'),
  evidence: z.record(z.string(), z.unknown()).optional()
    .describe('set by a trigger firing: which trigger, why, on which runs/files; recorded in the run manifest and the lineage, not part of the run id'),
}).strict();

/** Spec fields that say when and why a job runs, not what it computes: left out of the run id. */
export const NOT_IN_RUN_ID = ['triggers', 'guards', 'evidence'] as const;

export type PromoteSpec = z.output<typeof PromoteObject>;
export type TrainJobInput = z.input<typeof TrainJobSchema>;
export type TrainJobParsed = z.output<typeof TrainJobSchema>;
