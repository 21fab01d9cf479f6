import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config.js';
import { runJob } from '../../src/index.js';
import { createLogger } from '../../src/logger.js';
import type { RunManifest } from '../../src/predict/types.js';
import { TrainScratch } from '../kinds/train/train-fixtures.js';

export const silent = createLogger({ level: 'silent' });

/**
 * The whole loop's world in one scratch folder: iris train/eval CSVs, a
 * repository, ORTQ_HOME (the run ledger), prediction runs scored locally on
 * CSV inputs, and train job files for the scheduler to watch.
 */
export class LoopScratch extends TrainScratch {
  private runs = 0;
  readonly config = loadConfig({});

  /** A CSV of the eval rows with `f` applied to each feature row (drift). */
  inputs(name: string, f: (row: number[]) => number[] = (r) => r): string {
    const [header, ...rows] = readFileSync(join(this.dir, 'data', 'eval.csv'), 'utf8').trimEnd().split('\n');
    const cols = header.split(',');
    const feat = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'].map((c) => cols.indexOf(c));
    const out = rows.map((line) => {
      const cells = line.split(',');
      const v = f(feat.map((i) => Number(cells[i])));
      feat.forEach((i, j) => { cells[i] = String(v[j]); });
      return cells.join(',');
    });
    return this.file(join('data', name), [header, ...out].join('\n') + '\n');
  }

  /** One prediction run of iris@champion over `input` (a fresh output folder, so a fresh run id). */
  async predict(input: string): Promise<RunManifest> {
    this.runs++;
    const r = await runJob({
      kind: 'predict', name: 'iris-score', model: 'iris@champion', input: { path: input },
      features: { float_input: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'] },
      output: { path: join(this.dir, 'results', `run-${this.runs}`), format: 'parquet' },
    }, { config: this.config, repo: this.repo, baseDir: this.dir, logger: silent });
    return r.manifest as RunManifest;
  }

  /** Writes a train job file (the raw spec merged with `over`) and returns its path. */
  jobFile(name: string, over: Record<string, unknown> = {}): string {
    return this.file(name, stringify(this.raw(over)));
  }

  /** Replaces the train CSV's labels with `map` applied (a candidate that learns other classes). */
  relabel(map: Record<string, string>): void {
    for (const f of ['train.csv', 'eval.csv']) {
      const p = join(this.dir, 'data', f);
      const [header, ...rows] = readFileSync(p, 'utf8').trimEnd().split('\n');
      const li = header.split(',').indexOf('species');
      writeFileSync(p, [header, ...rows.map((l) => {
        const c = l.split(',');
        c[li] = map[c[li]] ?? c[li];
        return c.join(',');
      })].join('\n') + '\n');
    }
  }
}
