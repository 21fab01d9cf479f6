/**
 * The contract between the train kind and a built-in trainer. A trainer is
 * pure computation: it gets columns as typed arrays (never row objects) and
 * returns ONNX bytes. It never touches the repository, Redis or the disk;
 * ortq evaluates, registers and promotes (TFX: Trainer -> Evaluator -> Pusher).
 */

export type Task = 'classification' | 'regression';

/** Column-major training data: `columns[j][i]` is feature j of row i. NaN marks a missing value. */
export interface TrainMatrix {
  /** feature column names, in the order the model input concatenates them */
  names: string[];
  columns: Float64Array[];
  rows: number;
}

/**
 * Targets. Classification: `y[i]` is the class index into `classes`
 * (0..k-1); regression: the value itself.
 */
export interface TrainTarget {
  y: Float64Array;
  /** class labels in index order (sorted: numbers ascending, strings by code unit); empty for regression */
  classes: Array<string | number>;
}

export interface TrainerInput {
  task: Task;
  X: TrainMatrix;
  target: TrainTarget;
  /** validated hyperparameters with defaults filled in */
  hyperparameters: Record<string, unknown>;
  seed: number;
  /** the ONNX model's input name and its width (X.columns.length); output `[N, width]` float */
  inputName: string;
  /** threads the trainer may use */
  threads?: number;
  /** called now and then with a fraction done in [0, 1], for progress and lock renewal */
  onProgress?: (fraction: number) => void;
}

export interface TrainerResult {
  /** ONNX-ML model bytes. Classifiers output `label` [N] and `probabilities` [N, k]; regressors `variable` [N, 1]. */
  onnx: Uint8Array;
  /** class labels in the order of the probability columns (classifiers) */
  classes: Array<string | number>;
  /** what the trainer reports about its own fit (iterations, train loss, ...): recorded, never used to decide */
  info: Record<string, unknown>;
}

export interface BuiltinTrainer {
  name: 'linear' | 'logistic' | 'gbdt';
  tasks: Task[];
  /** hyperparameter defaults; an unknown key is ORTQ_JOB_INVALID */
  defaults: Record<string, unknown>;
  /** validates and fills defaults; throws ORTQ_JOB_INVALID naming the key */
  hyperparameters(given: Record<string, unknown>): Record<string, unknown>;
  fit(input: TrainerInput): Promise<TrainerResult> | TrainerResult;
}
