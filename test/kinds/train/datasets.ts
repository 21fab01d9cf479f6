import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TrainMatrix, TrainTarget } from '../../../src/kinds/train/trainers/types.js';

export interface Split { train: TrainMatrix; test: TrainMatrix; yTrain: Float64Array; yTest: Float64Array; classes: Array<string | number> }

function matrix(names: string[], rows: number[][], pick: number[]): TrainMatrix {
  return { names, rows: pick.length, columns: names.map((_, j) => Float64Array.from(pick, (i) => rows[i][j])) };
}

/**
 * A data set of test/fixtures/datasets as columns, split deterministically:
 * row i (0-based, file order) is held out when i % 5 === 4 (the reference
 * Python in test/kinds/train/reference/ does the same). Classification labels
 * become indices into the sorted distinct labels.
 */
export function loadSplit(name: string, label: string, task: 'classification' | 'regression'): Split {
  const text = readFileSync(fileURLToPath(new URL(`../../fixtures/datasets/${name}.csv`, import.meta.url)), 'utf8');
  const [header, ...lines] = text.trimEnd().split('\n');
  const cols = header.split(',');
  const li = cols.indexOf(label);
  const names = cols.filter((_, j) => j !== li);
  const cells = lines.map((l) => l.split(','));
  const raw = cells.map((c) => c[li]);
  const numeric = raw.every((v) => v !== '' && Number.isFinite(Number(v)));
  const values = numeric ? raw.map(Number) : raw;
  let classes: Array<string | number> = [];
  let y: number[];
  if (task === 'classification') {
    classes = [...new Set(values)].sort((a, b) => (numeric ? (a as number) - (b as number) : a < b ? -1 : a > b ? 1 : 0));
    y = values.map((v) => classes.indexOf(v));
  } else {
    y = values as number[];
  }
  const rows = cells.map((c) => c.filter((_, j) => j !== li).map(Number));
  const trainIdx: number[] = [];
  const testIdx: number[] = [];
  rows.forEach((_, i) => (i % 5 === 4 ? testIdx : trainIdx).push(i));
  return {
    train: matrix(names, rows, trainIdx),
    test: matrix(names, rows, testIdx),
    yTrain: Float64Array.from(trainIdx, (i) => y[i]),
    yTest: Float64Array.from(testIdx, (i) => y[i]),
    classes,
  };
}

export function target(s: Split): TrainTarget {
  return { y: s.yTrain, classes: s.classes };
}
