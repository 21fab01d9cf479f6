/**
 * Shapes of a training run. Plain JSON: a plan travels in queue job data and
 * every step's receipt is a file in the run directory.
 */
import type { TrainJobParsed } from './spec-schema.js';
import type { Task } from './trainers/types.js';

export type { Task };

/** A validated, normalized train spec: defaults filled, paths absolute, hyperparameters with the trainer's defaults. */
export type TrainJob = TrainJobParsed;

export type BuiltinTrainerSpec = Extract<TrainJob['trainer'], { builtin: string }>;
export type CommandTrainerSpec = Extract<TrainJob['trainer'], { command: string[] }>;

export function isCommandTrainer(t: TrainJob['trainer']): t is CommandTrainerSpec {
  return 'command' in t;
}

/**
 * What trained the candidate: part of the run id and of the lineage. A command
 * trainer's files keep a bare hex sha256 (code, not data: it sits in the
 * model's lineage beside the repository's sha256 digests).
 */
export type TrainerIdentity =
  | { kind: 'builtin'; name: string; ortq: string }
  | { kind: 'command'; command: string[]; files: Array<{ path: string; sha256: string }> };

/** `digest`: `<algorithm>:<hex>` of the file's bytes (xxh3-64, src/io/digest.ts); a run of format 1 recorded a bare hex `sha256` */
export interface InputFingerprint { path: string; format: string; size: number; digest: string }

export type Verdict = 'blessed' | 'rejected' | 'pending_approval';

export interface ModelRef { tag: string; version: string; digest: string }

/** One threshold checked: the reason a verdict gives. */
export interface Reason {
  metric: string;
  /** min | max | maxRegression | noChampion | promotion */
  check: string;
  value: number | null;
  bound: number | null;
  champion: number | null;
  pass: boolean;
  message: string;
}

/** The pure part of a run: everything that determines the candidate, and its id. */
export interface TrainPlan {
  runId: string;
  kind: 'train';
  runDir: string;
  job: TrainJob;
  trainer: TrainerIdentity;
  inputs: { train: InputFingerprint[]; eval: InputFingerprint[] };
  /** set when the trainer warm-starts: the parent it starts from is part of the id */
  warmStartFrom: ModelRef | null;
  createdAt: string;
  /** fresh per planning (a --force run gets a new one); registration is idempotent per (runId, attempt) */
  attempt: string;
}
