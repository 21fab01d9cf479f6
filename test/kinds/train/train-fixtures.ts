import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../../src/logger.js';
import { ModelRepository } from '../../../src/repo/model-repository.js';
import { checkHyperparameters, parseTrainJob } from '../../../src/kinds/train/spec.js';
import type { TrainJob, TrainPlan } from '../../../src/kinds/train/types.js';
import type { RunManifestBase, RunPlanBase } from '../../../src/kinds/types.js';
import { loadConfig } from '../../../src/config.js';
import { trainKind } from '../../../src/kinds/train/kind.js';
import type { TrainManifest } from '../../../src/kinds/train/manifest.js';
import type { StepName } from '../../../src/kinds/train/run-files.js';
import { runJobLocally } from '../../../src/runs/local-runner.js';

const IRIS = new URL('../../fixtures/datasets/iris.csv', import.meta.url);

/**
 * A scratch folder per test: the iris data split into train and eval CSV
 * files (every 5th row held out), a model repository, and ORTQ_HOME.
 */
export class TrainScratch {
  readonly dir = mkdtempSync(join(tmpdir(), 'ortq-train-test-'));
  readonly repoRoot = join(this.dir, 'models');
  readonly home = join(this.dir, 'home');
  readonly repo = new ModelRepository({ root: this.repoRoot, logger: createLogger({ level: 'silent' }) });
  private readonly prevHome = process.env.ORTQ_HOME;

  constructor() {
    process.env.ORTQ_HOME = this.home;
    const [header, ...rows] = readFileSync(IRIS, 'utf8').trimEnd().split('\n');
    mkdirSync(join(this.dir, 'data'), { recursive: true });
    writeFileSync(join(this.dir, 'data', 'train.csv'), [header, ...rows.filter((_, i) => i % 5 !== 0)].join('\n') + '\n');
    writeFileSync(join(this.dir, 'data', 'eval.csv'), [header, ...rows.filter((_, i) => i % 5 === 0)].join('\n') + '\n');
  }

  file(name: string, text: string | Uint8Array): string {
    const p = join(this.dir, name);
    writeFileSync(p, text);
    return p;
  }

  /** An iris train spec (raw), merged with `over` at the top level. */
  raw(over: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      kind: 'train',
      name: 'iris-retrain',
      model: 'iris',
      champion: 'iris@champion',
      data: { train: { path: 'data/train.csv' }, eval: { path: 'data/eval.csv' } },
      features: { float_input: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'] },
      label: 'species',
      task: 'classification',
      trainer: { builtin: 'logistic' },
      hyperparameters: {},
      seed: 7,
      evaluate: {
        metrics: ['accuracy', 'f1_macro', 'log_loss'],
        thresholds: { accuracy: { min: 0.8, maxRegression: 0.02 } },
        noChampion: 'bless',
      },
      promote: 'auto',
      alias: 'champion',
      ...over,
    };
  }

  async job(over: Record<string, unknown> = {}): Promise<TrainJob> {
    return checkHyperparameters(parseTrainJob(this.raw(over), { baseDir: this.dir, source: 'test' }));
  }

  /** `ortq run` of the job, in this process: the run core's local runner with the train kind. */
  run(job: TrainJob, opts: { force?: boolean; onStep?: (step: StepName) => void | Promise<void> } = {}) {
    return runJobLocally<TrainPlan & RunPlanBase, TrainManifest & RunManifestBase>(trainKind, job, {
      config: loadConfig({ env: process.env, cwd: this.dir }), repo: this.repo, logger: createLogger({ level: 'silent' }),
      force: opts.force, onStep: opts.onStep ? (s) => opts.onStep!(s.id as StepName) : undefined,
    });
  }

  cleanup(): void {
    if (this.prevHome === undefined) delete process.env.ORTQ_HOME;
    else process.env.ORTQ_HOME = this.prevHome;
    rmSync(this.dir, { recursive: true, force: true });
  }
}
