import { OrtqError } from '../../errors.js';
import { splitMask } from './columns.js';
import { readSide, type RawData, type RawLabels } from './data-read.js';
import type { TrainMatrix } from './trainers/types.js';
import type { Task, TrainPlan } from './types.js';

/** One side ready for a trainer and for evaluation. */
export interface PreparedSide {
  X: TrainMatrix;
  /** class index (classification) or value (regression) */
  y: Float64Array;
  slices: Record<string, string[]>;
}

export interface PreparedData {
  task: Task;
  inputName: string;
  /** class labels in index order (numbers ascending, strings by code unit); empty for regression */
  classes: Array<string | number>;
  train: PreparedSide;
  eval: PreparedSide;
  /** per input file: rows read, for the lineage */
  inputs: { train: RawData['files']; eval: RawData['files'] };
}

function dataError(message: string, details: Record<string, unknown> = {}): OrtqError {
  return new OrtqError('ORTQ_TRAIN_DATA_INVALID', message, details);
}

function take<T extends Float64Array | Int32Array>(a: T, mask: Uint8Array, want: number): T {
  return a.filter((_, i) => mask[i] === want) as T;
}

function takeLabels(l: RawLabels, mask: Uint8Array, want: number): RawLabels {
  return l.kind === 'number' ? { kind: 'number', values: take(l.values, mask, want) } : { kind: 'string', codes: take(l.codes, mask, want), dict: l.dict };
}

function splitSide(d: RawData, mask: Uint8Array, want: number): RawData {
  const rows = mask.reduce((s, v) => s + (v === want ? 1 : 0), 0);
  return {
    rows,
    features: d.features.map((f) => take(f, mask, want)),
    labels: takeLabels(d.labels, mask, want),
    slices: Object.fromEntries(Object.entries(d.slices).map(([k, v]) => [k, v.filter((_, i) => mask[i] === want)])),
    files: d.files,
    types: d.types,
  };
}

function labelValues(l: RawLabels): Array<string | number> {
  if (l.kind === 'string') return [...new Set(Array.from(l.codes, (c) => l.dict[c]))];
  return [...new Set(l.values)];
}

function sortClasses(values: Array<string | number>): Array<string | number> {
  return values.every((v) => typeof v === 'number')
    ? [...values].sort((a, b) => (a as number) - (b as number))
    : [...values].map(String).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function classTargets(l: RawLabels, classes: Array<string | number>, side: string, label: string): Float64Array {
  const index = new Map(classes.map((c, i) => [String(c), i]));
  const n = l.kind === 'string' ? l.codes.length : l.values.length;
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = l.kind === 'string' ? l.dict[l.codes[i]] : l.values[i];
    const k = index.get(String(v));
    if (k === undefined) {
      throw dataError(`${side} row ${i}: label "${label}" is ${JSON.stringify(v)}, a class the train data does not have (classes: ${classes.join(', ')})`, { row: i, column: label });
    }
    y[i] = k;
  }
  return y;
}

function side(d: RawData, names: string[], y: Float64Array): PreparedSide {
  return { X: { names, columns: d.features, rows: d.rows }, y, slices: d.slices };
}

/**
 * Reads the train and eval data of a plan into typed-array columns, splits
 * them when eval is `split:`, and turns labels into class indices. Every data
 * problem is ORTQ_TRAIN_DATA_INVALID naming the column (and row where there is one).
 */
export async function prepareData(plan: TrainPlan): Promise<PreparedData> {
  const job = plan.job;
  const [inputName] = Object.keys(job.features);
  const names = Object.values(job.features).flat();
  const common = { features: names, label: job.label, nulls: job.nulls, batchSize: job.batchSize };
  const isSplit = 'split' in job.data.eval;
  let train = await readSide(plan.inputs.train, { ...common, slices: isSplit ? job.evaluate.slices : [], side: 'train' });
  let evalData: RawData;
  if ('split' in job.data.eval) {
    const mask = splitMask(train.rows, job.data.eval.split.fraction, job.data.eval.split.seed);
    evalData = splitSide(train, mask, 1);
    train = { ...splitSide(train, mask, 0), slices: {} };
  } else {
    evalData = await readSide(plan.inputs.eval, { ...common, slices: job.evaluate.slices, side: 'eval' });
    const trainLabel = train.types[job.label];
    if (evalData.types[job.label] !== trainLabel) {
      throw dataError(`label column "${job.label}" is ${trainLabel} in the train data but ${evalData.types[job.label]} in the eval data`, { column: job.label });
    }
  }
  if (train.rows === 0) throw dataError(`the train data has no rows (${job.data.train.path})`);
  if (evalData.rows === 0) throw dataError(`the eval data has no rows${isSplit ? ' (the split left none)' : ''}`);
  let classes: Array<string | number> = [];
  let yTrain: Float64Array;
  let yEval: Float64Array;
  if (job.task === 'regression') {
    if (train.labels.kind === 'string' || evalData.labels.kind === 'string') {
      throw dataError(`label column "${job.label}" holds strings (class labels) but task is regression`, { column: job.label });
    }
    yTrain = train.labels.values;
    yEval = evalData.labels.values;
  } else {
    classes = sortClasses(labelValues(train.labels));
    if (classes.length < 2) {
      throw dataError(`label column "${job.label}" has a single class (${classes.join('')}) in the train data; classification needs two or more`, { column: job.label });
    }
    yTrain = classTargets(train.labels, classes, 'train', job.label);
    yEval = classTargets(evalData.labels, classes, 'eval', job.label);
  }
  return {
    task: job.task,
    inputName,
    classes,
    train: side(train, names, yTrain),
    eval: side(evalData, names, yEval),
    inputs: { train: train.files, eval: isSplit ? train.files : evalData.files },
  };
}
