import { afterEach, describe, expect, it } from 'vitest';
import { TrainScratch } from './train-fixtures.js';

describe('train pipeline (built-in trainers, real files, onnxruntime)', () => {
  let s: TrainScratch;
  afterEach(() => s?.cleanup());

  it('blessed with no champion: registered with lineage and evaluation, alias moved; a rerun is a no-op', async () => {
    s = new TrainScratch();
    const job = await s.job();
    const r = await s.run(job);
    expect(r.manifest.status).toBe('completed');
    expect(r.manifest.verdict).toBe('blessed');
    expect(r.manifest.promoted).toBe(true);
    const champ = await s.repo.resolve('iris@champion');
    expect(champ.tag).toBe(r.manifest.candidate!.tag);
    expect(champ.manifest.labels).toEqual({ verdict: 'blessed', trainRun: r.plan.runId });
    expect(champ.manifest.attachments).toContain('attachments/evaluation.json');
    expect(champ.manifest.lineage).toMatchObject({ parent: null, trainRun: r.plan.runId, seed: 7, classes: ['setosa', 'versicolor', 'virginica'] });
    expect(r.manifest.metrics.candidate!.accuracy).toBeGreaterThan(0.9);
    const again = await s.run(job);
    expect(again.reused).toBe(true);
    expect(await s.repo.versions('iris')).toHaveLength(1);
  });
});

describe('train decisions and promotion', () => {
  let s: TrainScratch;
  afterEach(() => s?.cleanup());

  it('rejected: alias unchanged, one reason per threshold with value, bound and champion value', async () => {
    s = new TrainScratch();
    const first = await s.run(await s.job());
    const job = await s.job({
      hyperparameters: { l2: 100 },
      evaluate: { metrics: ['accuracy', 'log_loss'], thresholds: { accuracy: { min: 0.999 }, log_loss: { max: 5 } } },
    });
    const r = await s.run(job);
    expect(r.manifest.verdict).toBe('rejected');
    expect(r.manifest.promoted).toBe(false);
    expect((await s.repo.resolve('iris@champion')).tag).toBe(first.manifest.candidate!.tag);
    const byCheck = Object.fromEntries(r.manifest.reasons.map((x) => [`${x.metric}.${x.check}`, x]));
    expect(byCheck['accuracy.min']).toMatchObject({ bound: 0.999, pass: false });
    expect(byCheck['accuracy.min'].champion).toBeCloseTo(first.manifest.metrics.candidate!.accuracy!, 12);
    expect(byCheck['log_loss.max']).toMatchObject({ bound: 5, pass: true });
    // rejected candidates are kept, labelled
    const rejected = await s.repo.resolve(r.manifest.candidate!.tag);
    expect(rejected.manifest.labels.verdict).toBe('rejected');
    expect(rejected.manifest.lineage).toMatchObject({ parent: { tag: first.manifest.candidate!.tag } });
  });

  it('promote: manual → pending_approval; approve moves the alias', async () => {
    s = new TrainScratch();
    const r = await s.run(await s.job({ promote: 'manual' }));
    expect(r.manifest.verdict).toBe('pending_approval');
    expect((await s.repo.aliases('iris')).aliases.champion).toBeUndefined();
    const { approveVersion, readVerdicts } = await import('../../../src/kinds/train/verdicts.js');
    await approveVersion(s.repo, r.manifest.candidate!.tag, 'champion');
    expect((await s.repo.resolve('iris@champion')).tag).toBe(r.manifest.candidate!.tag);
    expect((await readVerdicts(s.repo, 'iris'))[r.manifest.candidate!.version].verdict).toBe('blessed');
  });

  it('a stale compare-and-set leaves the alias and makes the candidate pending_approval, saying why', async () => {
    s = new TrainScratch();
    const first = await s.run(await s.job());
    const { zipMapClassifier } = await import('../../../src/onnx/model-zoo.js');
    const other = await s.repo.save('iris', s.file('other.onnx', zipMapClassifier({ features: 4, classes: ['setosa', 'versicolor', 'virginica'] }).bytes));
    const job = await s.job({ hyperparameters: { l2: 0.5 } });
    const r = await s.run(job, {
      onStep: async (step) => {
        if (step === 'promote') await s.repo.setAlias('iris', 'champion', other.version);
      },
    });
    // the alias was moved by someone else between evaluation and promotion
    expect(r.manifest.verdict).toBe('pending_approval');
    expect(r.manifest.promoted).toBe(false);
    expect(r.manifest.reasons.at(-1)!.message).toMatch(/^stale: iris@champion moved from/);
    expect((await s.repo.aliases('iris')).aliases.champion).toBe(other.version);
    expect(r.manifest.champion!.tag).toBe(first.manifest.candidate!.tag);
  });

  it('three generations: lineage walks parents with trainer, data and metrics', async () => {
    s = new TrainScratch();
    const tags: string[] = [];
    for (const l2 of [1, 0.5, 0.25]) {
      const r = await s.run(await s.job({ hyperparameters: { l2 }, evaluate: { metrics: ['accuracy'], thresholds: { accuracy: { min: 0.5, maxRegression: 0.2 } } } }));
      expect(r.manifest.promoted).toBe(true);
      tags.push(r.manifest.candidate!.tag);
    }
    const { lineageChain } = await import('../../../src/kinds/train/lineage.js');
    const chain = await lineageChain(s.repo, 'iris@champion');
    expect(chain.map((c) => c.tag)).toEqual([...tags].reverse());
    expect(chain.map((c) => (c.hyperparameters as { l2: number }).l2)).toEqual([0.25, 0.5, 1]);
    expect(chain[0].trainer).toMatchObject({ kind: 'builtin', name: 'logistic' });
    expect(chain[2].parent).toBeNull();
    expect(chain[0].verdict).toBe('blessed');
    expect(chain[1].metrics).toHaveProperty('accuracy');
  });
});
