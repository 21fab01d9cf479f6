import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { parseJobSpec } from '../../../src/kinds/job-file.js';
import { readSpecFile } from '../../../src/kinds/spec-file.js';
import { TrainScratch } from './train-fixtures.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const SCRIPT = fileURLToPath(new URL('../../../examples/trainers/sklearn_logistic.py', import.meta.url));
const EXAMPLE_JOB = fileURLToPath(new URL('../../../examples/trainers/sklearn-logistic.yaml', import.meta.url));

/** A Python with scikit-learn and onnx (the one on PATH, else Debian's), or null: Python is never required. */
function findPython(): string | null {
  for (const py of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(py, ['-c', 'import sklearn, onnx'], { stdio: 'ignore', timeout: 60_000 });
    if (r.status === 0) return py === 'python3' ? (spawnSync(py, ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim() || py) : py;
  }
  return null;
}

const python = findPython();

describe('examples/trainers/sklearn_logistic.py, a Python command trainer (scikit-learn + onnx.helper, no skl2onnx)', () => {
  let s: TrainScratch;
  afterEach(() => s?.cleanup());

  it('the example job is a valid train spec', async () => {
    const spec = await parseJobSpec(await readSpecFile(EXAMPLE_JOB), { baseDir: ROOT, source: EXAMPLE_JOB });
    expect(spec).toMatchObject({ kind: 'train', trainer: { inputFormat: 'csv', files: [SCRIPT] } });
  });

  it.skipIf(!python)('trains iris under the file contract: blessed, and its metrics match the built-in logistic\'s', async () => {
    s = new TrainScratch();
    const evaluate = { metrics: ['accuracy', 'f1_macro', 'log_loss'], thresholds: { accuracy: { min: 0.85 } }, noChampion: 'bless' };
    const builtin = await s.run(await s.job({ model: 'iris-builtin', champion: 'iris-builtin@champion', trainer: { builtin: 'logistic' }, hyperparameters: { l2: 1, maxIter: 200 }, evaluate }));
    const py = await s.run(await s.job({
      trainer: { command: [python!, SCRIPT], files: [SCRIPT], inputFormat: 'csv', timeout: '2m' },
      hyperparameters: { l2: 1, maxIter: 200 },
      evaluate,
    }));
    expect(py.manifest).toMatchObject({ status: 'completed', verdict: 'blessed', promoted: true });
    expect(py.manifest.trainer_output_tail).toMatch(/sklearn_logistic: 120 train rows, 3 classes/);
    const a = py.manifest.metrics.candidate!;
    const b = builtin.manifest.metrics.candidate!;
    // the same objective (l2 = 1/C on standardized features, folded back): the same model up to solver tolerance
    expect(Math.abs(a.accuracy! - b.accuracy!)).toBeLessThanOrEqual(0.01);
    expect(Math.abs(a.f1_macro! - b.f1_macro!)).toBeLessThanOrEqual(0.01);
    expect(Math.abs(a.log_loss! - b.log_loss!)).toBeLessThan(0.01);
    expect(a.accuracy!).toBeGreaterThan(0.9);
    const v = await s.repo.resolve('iris@champion');
    expect(v.tag).toBe(py.manifest.candidate!.tag);
    expect(v.manifest.lineage.trainer).toMatchObject({ kind: 'command', command: [python!, SCRIPT] });
    const reported = (v.manifest.metadata.train as { reportedByTrainer: Record<string, unknown> }).reportedByTrainer;
    expect(reported.train_accuracy).toBeGreaterThan(0.9);
  }, 120_000);
});
