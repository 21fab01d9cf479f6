import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zipMapClassifier } from '../../src/onnx/model-zoo.js';
import { profileFromData } from '../../src/monitor/profile-data.js';
import { ModelRepository } from '../../src/repo/model-repository.js';
import { generateSigningKeys } from '../../src/repo/signing.js';

const ROOT = resolve(import.meta.dirname, '../..');
const IRIS = join(ROOT, 'test/fixtures/datasets/iris.csv');
const CLASSES = ['setosa', 'versicolor', 'virginica'];
let dir: string;
let repo: ModelRepository;
let onnx: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ortq-profile-'));
  repo = new ModelRepository({ root: join(dir, 'models') });
  onnx = join(dir, 'iris.onnx');
  await writeFile(onnx, zipMapClassifier({ features: 4, classes: CLASSES }).bytes);
  await repo.save('iris', onnx, { version: '1' });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('profiles from data, stored with a version', () => {
  it('profiles the iris inputs and the model outputs, scored by onnxruntime', async () => {
    const p = await profileFromData({ repo, model: 'iris:1', data: IRIS });
    expect(p.model).toMatchObject({ name: 'iris', version: '1' });
    expect(p.source.rows).toBe(150);
    expect(Object.keys(p.features)).toEqual(['sepal_length', 'sepal_width', 'petal_length', 'petal_width']);
    // numpy: x = iris.sepal_length; e = np.quantile(x, np.arange(1, 10) / 10)
    //   → [4.8, 5.0, 5.27, 5.6, 5.8, 6.1, 6.3, 6.52, 6.9]
    //   np.bincount(np.searchsorted(e, x, side='right'), minlength=10) → [11, 11, 23, 14, 14, 16, 10, 21, 13, 17]
    const sl = p.features.sepal_length;
    if (sl.kind !== 'numeric') throw new Error('numeric expected');
    expect(sl.edges.map((e) => +e.toFixed(9))).toEqual([4.8, 5.0, 5.27, 5.6, 5.8, 6.1, 6.3, 6.52, 6.9]);
    expect(sl.counts).toEqual([11, 11, 23, 14, 14, 16, 10, 21, 13, 17]);
    expect([sl.min, sl.max, sl.nulls]).toEqual([4.3, 7.9, 0]);
    // outputs: the label, one score column per class (named as in output files) and the argmax class
    const label = p.outputs.output_label;
    if (label.kind !== 'categorical') throw new Error('categorical expected');
    expect(label.counts.reduce((s, n) => s + n, 0)).toBe(150);
    expect(Object.keys(p.outputs)).toEqual(expect.arrayContaining(CLASSES.map((c) => `output_probability_${c}`)));
    const argmax = p.outputs['output_probability:class'];
    if (argmax.kind !== 'categorical') throw new Error('categorical expected');
    // the argmax of the probabilities is the predicted label, row for row
    const byLabel = Object.fromEntries(label.categories.map((c, i) => [c, label.counts[i]]));
    expect(Object.fromEntries(argmax.categories.map((c, i) => [c, argmax.counts[i]]))).toEqual(byLabel);
  });

  it('attaches profile.json once, covered by the manifest digests', async () => {
    const p = await profileFromData({ repo, model: 'iris:1', data: IRIS });
    const stored = await repo.attachProfile('iris:1', p);
    expect(stored.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const back = await repo.profile('iris:1');
    expect(back).toEqual({ profile: p, digest: stored.digest });
    const r = await repo.resolve('iris:1');
    expect(r.manifest.files['profile.json']).toBeDefined();
    expect(r.manifest.profile?.file).toBe('profile.json');
    expect((await repo.verify('iris:1'))[0]).toMatchObject({ ok: true });
    await expect(repo.attachProfile('iris:1', p)).rejects.toMatchObject({ code: 'ORTQ_MODEL_EXISTS' });
    // a changed byte is caught by the digest, on read and on verify
    const file = join(r.dir, 'profile.json');
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.replace('"ortq-profile"', '"ortq-profilE"'));
    await expect(repo.profile('iris:1')).rejects.toMatchObject({ code: 'ORTQ_MODEL_CORRUPT' });
    expect((await repo.verify('iris:1'))[0].ok).toBe(false);
    await writeFile(file, text);
  });

  it('stores a profile given at save time, and refuses one on a signed version', async () => {
    const p = await profileFromData({ repo, model: 'iris:1', data: IRIS });
    await repo.save('iris', onnx, { version: '2', profile: p });
    expect((await repo.profile('iris:2'))?.profile).toEqual(p);
    expect((await repo.verify('iris:2'))[0].ok).toBe(true);
    expect(await repo.profile('iris:1').then((s) => s !== null)).toBe(true);
    await repo.save('iris', onnx, { version: '3' });
    expect(await repo.profile('iris:3')).toBeNull();
    const keys = await generateSigningKeys(join(dir, 'keys'));
    await repo.sign('iris:3', keys.privateKey);
    await expect(repo.attachProfile('iris:3', p)).rejects.toThrow(/signed/);
  });

  it('ortq models profile stores the profile and prints its digest', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/ortq.js'), 'models', 'profile', 'iris:latest', '--data', IRIS, '--repo', join(dir, 'cli-models'), '--json'], {
      cwd: dir, encoding: 'utf8', env: { ...process.env, ORTQ_LOG_LEVEL: 'warn' },
    });
    // the repository is empty: a clear not-found error, exit 1
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/ORTQ_MODEL_NOT_FOUND/);
    const save = spawnSync(process.execPath, [join(ROOT, 'bin/ortq.js'), 'models', 'save', 'iris', onnx, '--version', '7', '--repo', join(dir, 'cli-models')], { cwd: dir, encoding: 'utf8' });
    expect(save.status).toBe(0);
    const ok = spawnSync(process.execPath, [join(ROOT, 'bin/ortq.js'), 'models', 'profile', 'iris:7', '--data', IRIS, '--repo', join(dir, 'cli-models'), '--features', 'float_input=sepal_length,sepal_width,petal_length,petal_width', '--json'], {
      cwd: dir, encoding: 'utf8', env: { ...process.env, ORTQ_LOG_LEVEL: 'warn' },
    });
    expect(ok.stderr).toBe('');
    const out = JSON.parse(ok.stdout) as { tag: string; digest: string; profile: { source: { rows: number } } };
    expect(out).toMatchObject({ tag: 'iris:7', profile: { source: { rows: 150 } } });
    expect(out.digest).toMatch(/^sha256:/);
  });
});
