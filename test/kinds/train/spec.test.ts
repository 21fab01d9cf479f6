import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../../src/kinds/train/duration.js';
import { computeTrainRunId } from '../../../src/kinds/train/plan.js';
import { checkHyperparameters, parseTrainJob } from '../../../src/kinds/train/spec.js';
import { decide } from '../../../src/kinds/train/decide.js';
import { splitMask } from '../../../src/kinds/train/columns.js';

const base = (over: Record<string, unknown> = {}) => ({
  kind: 'train', name: 'iris-retrain', model: 'iris', champion: 'iris@champion',
  data: { train: { path: 'data/train.csv' }, eval: { split: { fraction: 0.2, seed: 7 } } },
  features: { float_input: ['a', 'b'] }, label: 'y', task: 'classification',
  trainer: { builtin: 'gbdt' }, hyperparameters: { learningRate: 0.1 },
  evaluate: { metrics: ['accuracy', 'log_loss'], thresholds: { accuracy: { min: 0.9, maxRegression: 0.005 } } },
  promote: 'auto',
  ...over,
});

const parse = (raw: unknown) => parseTrainJob(raw, { baseDir: '/proj', source: 'spec' });

describe('train spec', () => {
  it('normalizes: defaults, absolute paths, durations kept as written', () => {
    const job = parse(base({ trainer: { command: ['python3', 'train/iris.py'], files: ['train/iris.py'], timeout: '2h' } }));
    expect(job.data.train.path).toBe('/proj/data/train.csv');
    expect(job.trainer).toMatchObject({ command: ['python3', '/proj/train/iris.py'], files: ['/proj/train/iris.py'], timeout: '2h', inputFormat: 'parquet', env: [] });
    expect(job.alias).toBe('champion');
    expect(job.evaluate.noChampion).toBe('bless');
    expect(parseDuration('3s')).toBe(3000);
    expect(parseDuration('30m')).toBe(1_800_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('2 hours')).toBeNull();
  });

  it.each([
    ['a threshold on a metric not listed', { evaluate: { metrics: ['accuracy'], thresholds: { f1_macro: { min: 0.5 } } } }, /thresholds.f1_macro: not listed/],
    ['a threshold that does not fit the task', { evaluate: { metrics: ['accuracy'], thresholds: { rmse: { max: 1 } } } }, /rmse: a regression metric does not fit task classification/],
    ['a metric that does not fit the task', { task: 'regression', evaluate: { metrics: ['accuracy'] }, promote: 'manual' }, /"accuracy" is a classification metric/],
    ['promote: auto with no thresholds', { evaluate: { metrics: ['accuracy'] } }, /promote: auto needs at least one/],
    ['a bad duration', { trainer: { command: ['x'], timeout: '30 minutes' } }, /trainer/],
    ['an unknown field', { extra: 1 }, /Unrecognized key/],
    ['a champion of another model', { champion: 'wine@champion' }, /champion: "wine@champion" is not a version of model "iris"/],
    ['the label among the features', { label: 'a' }, /label: "a" is also a feature column/],
  ])('%s is ORTQ_JOB_INVALID', (_, over, message) => {
    expect(() => parse(base(over))).toThrow(message);
    try { parse(base(over)); } catch (err) { expect((err as { code: string }).code).toBe('ORTQ_JOB_INVALID'); }
  });

  it('hyperparameters: defaults filled by the trainer, an unknown one is ORTQ_JOB_INVALID naming it', async () => {
    const job = await checkHyperparameters(parse(base()));
    expect(job.hyperparameters).toMatchObject({ learningRate: 0.1, maxIter: 100 });
    await expect(checkHyperparameters(parse(base({ hyperparameters: { learningrate: 0.1 } })))).rejects.toMatchObject({ code: 'ORTQ_JOB_INVALID', message: expect.stringContaining('learningrate') });
    await expect(checkHyperparameters(parse(base({ trainer: { builtin: 'linear' } })))).rejects.toThrow(/does not do classification/);
  });

  it('run id: same inputs → same id; data, trainer, hyperparameters, seed change it; the champion does not', () => {
    const job = parse(base());
    const inputs = { train: [{ path: '/d/t.csv', format: 'csv', size: 1, digest: 'xxh3-64:00000000000000aa' }], eval: [] };
    const trainer = { kind: 'builtin' as const, name: 'gbdt', ortq: '0.1.0' };
    const id = computeTrainRunId({ job, trainer, inputs, warmStartFrom: null });
    expect(computeTrainRunId({ job, trainer, inputs, warmStartFrom: null })).toBe(id);
    expect(id).toMatch(/^iris-retrain-[0-9a-f]{20}$/);
    expect(computeTrainRunId({ job, trainer, inputs: { ...inputs, train: [{ ...inputs.train[0], digest: 'xxh3-64:00000000000000bb' }] }, warmStartFrom: null })).not.toBe(id);
    expect(computeTrainRunId({ job: { ...job, seed: 8 }, trainer, inputs, warmStartFrom: null })).not.toBe(id);
    expect(computeTrainRunId({ job: { ...job, hyperparameters: { learningRate: 0.2 } }, trainer, inputs, warmStartFrom: null })).not.toBe(id);
    expect(computeTrainRunId({ job, trainer: { kind: 'command', command: ['x'], files: [{ path: '/x', sha256: 'cc' }] }, inputs, warmStartFrom: null })).not.toBe(id);
    expect(computeTrainRunId({ job, trainer, inputs, warmStartFrom: { tag: 'iris:1', version: '1', digest: 'sha256:dd' } })).not.toBe(id);
    // when and why a job runs (triggers, guards, a firing's evidence) is not what it computes
    const triggered = { ...job, triggers: [{ cron: '0 3 * * 0', timezone: 'UTC' }], guards: { cooldown: 21_600_000, maxPerDay: 4 }, evidence: { trigger: 'iris-retrain.drift' } };
    expect(computeTrainRunId({ job: triggered as typeof job, trainer, inputs, warmStartFrom: null })).toBe(id);
  });

  it('the split is deterministic by seed and holds out round(fraction · n) rows', () => {
    const a = splitMask(150, 0.2, 7);
    expect(Array.from(a)).toEqual(Array.from(splitMask(150, 0.2, 7)));
    expect(a.reduce((s, v) => s + v, 0)).toBe(30);
    expect(Array.from(splitMask(150, 0.2, 8))).not.toEqual(Array.from(a));
  });

  it('decide: one reason per check; maxRegression against the champion in the metric\'s direction', () => {
    const job = parse(base({ evaluate: { metrics: ['accuracy', 'log_loss'], thresholds: { accuracy: { min: 0.9, maxRegression: 0.005 }, log_loss: { maxRegression: 0.01 } } } }));
    const d = decide(job, { accuracy: 0.93, log_loss: 0.2 }, { metrics: { accuracy: 0.94, log_loss: 0.195 } });
    expect(d.verdict).toBe('rejected');
    expect(d.reasons.map((r) => [r.metric, r.check, r.pass])).toEqual([
      ['accuracy', 'min', true], ['accuracy', 'maxRegression', false], ['log_loss', 'maxRegression', true],
    ]);
    expect(d.reasons[1]).toMatchObject({ value: 0.93, champion: 0.94 });
    expect(d.reasons[1].bound).toBeCloseTo(0.935, 12);
    expect(decide(job, { accuracy: 0.95, log_loss: 0.2 }, { missing: true }).verdict).toBe('blessed');
    expect(decide({ ...job, evaluate: { ...job.evaluate, noChampion: 'pending' } }, { accuracy: 0.95, log_loss: 0.2 }, { missing: true }).verdict).toBe('pending_approval');
    expect(decide({ ...job, promote: { mode: 'manual' } }, { accuracy: 0.95, log_loss: 0.2 }, { metrics: { accuracy: 0.9, log_loss: 0.3 } }).verdict).toBe('pending_approval');
  });
});
