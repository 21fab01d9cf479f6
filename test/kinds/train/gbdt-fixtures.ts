import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import type { Task, TrainerInput } from '../../../src/kinds/train/trainers/types.js';

/** A fixture data set, split identically to the Python reference: every 5th row (i % 5 == 4) is held out. */
export interface Split {
  names: string[];
  train: Float64Array[];
  test: Float64Array[];
  yTrain: Float64Array;
  yTest: Float64Array;
  classes: Array<string | number>;
}

export function loadSplit(name: string, task: Task): Split {
  const path = fileURLToPath(new URL(`../../fixtures/datasets/${name}.csv`, import.meta.url));
  const [header, ...lines] = readFileSync(path, 'utf8').trimEnd().split('\n');
  const names = header.split(',').slice(0, -1);
  const cells = lines.map((l) => l.split(','));
  const labels = cells.map((c) => c[c.length - 1]);
  const numeric = labels.every((l) => l !== '' && Number.isFinite(Number(l)));
  let classes: Array<string | number> = [];
  let y: number[];
  if (task === 'classification') {
    classes = numeric
      ? [...new Set(labels.map(Number))].sort((a, b) => a - b)
      : [...new Set(labels)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    y = labels.map((l) => classes.indexOf(numeric ? Number(l) : l));
  } else {
    y = labels.map(Number);
  }
  const isTest = (i: number) => i % 5 === 4;
  const trainRows = cells.map((_, i) => i).filter((i) => !isTest(i));
  const testRows = cells.map((_, i) => i).filter(isTest);
  const cols = (rows: number[]) => names.map((_, j) => Float64Array.from(rows, (i) => Number(cells[i][j])));
  return {
    names, train: cols(trainRows), test: cols(testRows),
    yTrain: Float64Array.from(trainRows, (i) => y[i]), yTest: Float64Array.from(testRows, (i) => y[i]), classes,
  };
}

export function trainerInput(s: Split, task: Task, hyperparameters: Record<string, unknown> = {}, seed = 7): TrainerInput {
  return {
    task, seed, hyperparameters, inputName: 'float_input',
    X: { names: s.names, columns: s.train, rows: s.yTrain.length },
    target: { y: s.yTrain, classes: s.classes },
  };
}

/** Row-major float32 [n, k] from columns. */
export function rowMajor(columns: Float64Array[]): Float32Array {
  const n = columns[0].length;
  const k = columns.length;
  const out = new Float32Array(n * k);
  for (let j = 0; j < k; j++) for (let i = 0; i < n; i++) out[i * k + j] = columns[j][i];
  return out;
}

/** Scores columns with real onnxruntime; returns every output by name. */
export async function score(onnx: Uint8Array, columns: Float64Array[], inputName = 'float_input'): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(onnx);
  try {
    const x = new ort.Tensor('float32', rowMajor(columns), [columns[0].length, columns.length]);
    return (await session.run({ [inputName]: x })) as Record<string, ort.Tensor>;
  } finally {
    await session.release();
  }
}

export function accuracy(pred: ArrayLike<number>, y: Float64Array): number {
  let ok = 0;
  for (let i = 0; i < y.length; i++) if (pred[i] === y[i]) ok++;
  return ok / y.length;
}

export function r2(pred: ArrayLike<number>, y: Float64Array): number {
  let mean = 0;
  for (let i = 0; i < y.length; i++) mean += y[i];
  mean /= y.length;
  let ssr = 0;
  let sst = 0;
  for (let i = 0; i < y.length; i++) {
    ssr += (y[i] - pred[i]) ** 2;
    sst += (y[i] - mean) ** 2;
  }
  return 1 - ssr / sst;
}
