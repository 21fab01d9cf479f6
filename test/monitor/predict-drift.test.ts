import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { profileFromData } from '../../src/monitor/profile-data.js';
import { zipMapClassifier } from '../../src/onnx/model-zoo.js';
import { parseJob } from '../../src/predict/job-spec.js';
import { runLocal } from '../../src/predict/local-run.js';
import { RunLedger } from '../../src/runs/ledger.js';
import { ModelRepository } from '../../src/repo/model-repository.js';

/** Every prediction run counts drift in the same pass and records it in run.json. */
const IRIS = join(resolve(import.meta.dirname, '../..'), 'test/fixtures/datasets/iris.csv');
const FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];
let dir: string;
let repo: ModelRepository;
let ledger: RunLedger;
const savedHome = process.env.ORTQ_HOME;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ortq-predict-drift-'));
  // planning caches input fingerprints under ORTQ_HOME: keep them in this test's dir, not ./.ortq
  process.env.ORTQ_HOME = join(dir, 'home');
  repo = new ModelRepository({ root: join(dir, 'models') });
  ledger = new RunLedger(join(dir, 'home'));
  await writeFile(join(dir, 'iris.onnx'), zipMapClassifier({ features: 4, classes: ['setosa', 'versicolor', 'virginica'] }).bytes);
  await repo.save('iris', join(dir, 'iris.onnx'), { version: '1' });
  await repo.save('plain', join(dir, 'iris.onnx'), { version: '1' });
  await repo.attachProfile('iris:1', await profileFromData({ repo, model: 'iris:1', data: IRIS }));
  // the same rows with petal_length shifted by +3 cm: a drifted feature
  const lines = (await readFile(IRIS, 'utf8')).trim().split('\n');
  const shifted = [lines[0], ...lines.slice(1).map((l) => {
    const c = l.split(',');
    c[2] = String(Number(c[2]) + 3);
    return c.join(',');
  })].join('\n');
  await writeFile(join(dir, 'shifted.csv'), shifted + '\n');
});
afterAll(async () => {
  if (savedHome === undefined) delete process.env.ORTQ_HOME;
  else process.env.ORTQ_HOME = savedHome;
  await rm(dir, { recursive: true, force: true });
});

const job = (name: string, model: string, input: string) => parseJob({
  name, model, input: { path: input }, features: { float_input: FEATURES }, output: { path: `out/${name}` },
}, { baseDir: dir });

describe('drift on every prediction run', () => {
  it('records PSI and JS per feature and output against the profile: ~0 on the reference data, large where it moved', async () => {
    const same = await runLocal(job('same', 'iris:1', IRIS), { repo, ledger });
    const d = same.manifest.drift!;
    expect(d.status).toBe('computed');
    if (d.status !== 'computed') return;
    expect(Object.keys(d.features).sort()).toEqual([...FEATURES].sort());
    for (const f of FEATURES) expect(d.features[f].psi!).toBeLessThan(0.01);
    expect(Object.keys(d.outputs).length).toBeGreaterThan(0);

    const moved = await runLocal(job('moved', 'iris:1', join(dir, 'shifted.csv')), { repo, ledger });
    const m = moved.manifest.drift!;
    if (m.status !== 'computed') throw new Error(`drift ${m.status}`);
    expect(m.features.petal_length.psi!).toBeGreaterThan(1);
    expect(m.features.sepal_length.psi!).toBeLessThan(0.01);
    expect(m.worst).toMatchObject({ section: 'features', column: 'petal_length' });
    const onDisk = JSON.parse(await readFile(join(moved.plan.runDir, 'run.json'), 'utf8'));
    expect(onDisk.drift.features.petal_length.psi).toBe(m.features.petal_length.psi);
  });

  it('a model without a profile says so and computes none', async () => {
    const r = await runLocal(job('plain', 'plain:1', IRIS), { repo, ledger });
    expect(r.manifest.drift).toMatchObject({ status: 'skipped', reason: expect.stringContaining('has no profile') });
  });
});
