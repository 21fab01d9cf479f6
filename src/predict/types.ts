import type { StoredProfile } from '../repo/profiles.js';
import type { RunDrift } from '../monitor/drift-report.js';
/**
 * Shapes shared by the prediction engine, the local runner and the queue.
 * Everything here is plain JSON: a RunPlan travels in BullMQ job data and is
 * stored as `_plan.json` in the run directory.
 */
import type { PinnedModel, RunManifestBase, RunStatus, StepReceipt } from '../kinds/types.js';

export type { RunStatus };

export type InputFormat = 'parquet' | 'arrow' | 'arrows' | 'csv';
export type OutputFormat = 'parquet' | 'arrow' | 'csv';
export type NullPolicy = 'error' | 'skip' | { fill: number };

/** A validated, normalized predict job spec (paths resolved against the spec's directory). */
export interface PredictJob {
  kind: 'predict';
  name: string;
  model: string;
  input: { path: string; format?: InputFormat };
  features: Record<string, string[]>;
  passthrough: string[];
  output: { path: string; format: OutputFormat };
  batchSize: number;
  nulls: NullPolicy;
  outputs: Record<string, { as?: 'columns' | 'list'; rename?: string }>;
}

export interface PlannedInput {
  path: string;
  format: InputFormat;
  size: number;
  /**
   * `<algorithm>:<hex>` of the file's bytes (xxh3-64, src/io/digest.ts). A plan
   * of run format 1 held a bare hex `sha256` instead (read with recordedDigest).
   */
  digest: string;
  /** rows in the file where the format tells without reading it all (Parquet, Arrow IPC file) */
  rows: number | null;
  /** number of independently readable units: Parquet row groups, Arrow IPC file record batches; 1 for stream/CSV */
  units: number;
  /** rows per unit where known */
  unitRows: number[] | null;
}

/** A contiguous range of units [unitStart, unitEnd) of one input file. */
export interface ShardPiece { input: number; unitStart: number; unitEnd: number }

export interface ShardPlan {
  index: number;
  /** zero-padded, used in part file names and BullMQ job ids: `00042` */
  id: string;
  pieces: ShardPiece[];
  rows: number | null;
}

export interface RunPlan {
  runId: string;
  /** absolute path of `output.path/run=<runId>` */
  runDir: string;
  job: PredictJob;
  model: PinnedModel;
  inputs: PlannedInput[];
  /** the version's reference profile at planning time (not part of the run id); shards count drift against it */
  profile?: StoredProfile | null;
  shards: ShardPlan[];
  totalRows: number | null;
  createdAt: string;
}

/** A shard's receipt: the run core's step receipt (`detail.batches` holds the batch count). */
export type ShardReceipt = StepReceipt;

/** `run.json`, written last: a run directory without it is not a finished run. */
export interface RunManifest extends RunManifestBase {
  kind: 'predict';
  job: { name: string; spec: PredictJob };
  /** drift of inputs and outputs against the model's reference profile, or why none was computed */
  drift?: RunDrift;
  model: PinnedModel;
  inputs: Array<Pick<PlannedInput, 'path' | 'format' | 'size' | 'digest' | 'rows'>>;
  outputs: Array<{ path: string; rows: number; bytes: number; digest: string | null }>;
  batches: number;
  shards: number;
  rowsPerSecond: number;
  versions: { ortq: string; onnxruntime: string; node: string };
}
