import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeJsonAtomic } from '../../src/fs/atomic.js';
import { discoverInputs } from '../../src/io/discover.js';
import { readBatches } from '../../src/io/read.js';
import { driftHistory, driftRows } from '../../src/monitor/drift-history.js';
import { profileFromData } from '../../src/monitor/profile-data.js';
import { openShardDrift, runDrift } from '../../src/monitor/run-drift.js';
import { zipMapClassifier } from '../../src/onnx/model-zoo.js';
import { RunLedger } from '../../src/runs/ledger.js';
import { ModelRepository } from '../../src/repo/model-repository.js';

const ROOT = resolve(import.meta.dirname, '../..');
const IRIS = join(ROOT, 'test/fixtures/datasets/iris.csv');
let dir: string;
let repo: ModelRepository;
const savedHome = process.env.ORTQ_HOME;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ortq-run-drift-'));
  process.env.ORTQ_HOME = join(dir, 'home');
  repo = new ModelRepository({ root: join(dir, 'models') });
  const onnx = join(dir, 'iris.onnx');
  await writeFile(onnx, zipMapClassifier({ features: 4, classes: ['setosa', 'versicolor', 'virginica'] }).bytes);
  await repo.save('iris', onnx, { version: '1' });
  await repo.save('iris', onnx, { version: '2' });
  await repo.attachProfile('iris:1', await profileFromData({ repo, model: 'iris:1', data: IRIS }));
});
afterAll(async () => {
  if (savedHome === undefined) delete process.env.ORTQ_HOME;
  else process.env.ORTQ_HOME = savedHome;
  await rm(dir, { recursive: true, force: true });
});

describe('drift of a run', () => {
  it('counts shards separately, merges them at finalize, and the reference data itself shows no drift', async () => {
    const model = await repo.resolve('iris:1');
    const shards = [await openShardDrift(repo, model), await openShardDrift(repo, model)];
    const [file] = await discoverInputs(IRIS);
    let i = 0;
    for await (const batch of readBatches(file, { batchSize: 40 })) shards[i++ % 2].addBatch(batch);
    const drift = await runDrift(repo, 'iris:1', shards.map((s) => s.result()));
    if (drift.status !== 'computed') throw new Error(drift.reason);
    expect(drift.rows).toBe(150);
    for (const d of Object.values(drift.features)) {
      expect(d.psi).toBeCloseTo(0, 12);
      expect(d.js).toBe(0);
    }
    // no outputs were counted in this test: no statistic rather than a made-up one
    expect(drift.outputs.output_label.psi).toBeNull();
  });

  it('says why when the version has no profile, or when only some shards counted', async () => {
    const none = await openShardDrift(repo, await repo.resolve('iris:2'));
    expect(none.result()).toBeNull();
    expect(await runDrift(repo, 'iris:2', [null, null])).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/iris:2 has no profile/) });
    const one = await openShardDrift(repo, await repo.resolve('iris:1'));
    expect(await runDrift(repo, 'iris:1', [one.result(), null])).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/1 of 2 shards/) });
  });

  it('ortq drift shows the runs of a model, most drifted column first', async () => {
    const model = await repo.resolve('iris:1');
    const [file] = await discoverInputs(IRIS);
    const runs = [{ id: 'score-0000000000000000000a', shift: 0, at: '2026-12-01T10:00:00.000Z' }, { id: 'score-0000000000000000000b', shift: 3, at: '2026-12-01T11:00:00.000Z' }];
    for (const r of runs) {
      const acc = await openShardDrift(repo, model);
      for await (const batch of readBatches(file, { batchSize: 50 })) {
        // the second run: petal_length shifted by +3 cm, the other columns as they were
        if (r.shift) {
          const v = batch.getChild('petal_length')!.data[0].values as Float64Array;
          for (let k = 0; k < v.length; k++) v[k] += r.shift;
        }
        acc.addBatch(batch);
      }
      const runDir = join(dir, 'out', `run=${r.id}`);
      const drift = await runDrift(repo, 'iris:1', [acc.result()]);
      await writeJsonAtomic(join(runDir, 'run.json'), { runId: r.id, kind: 'predict', status: 'completed', job: { name: 'score' }, model: { tag: 'iris:1' }, finishedAt: r.at, drift });
      await new RunLedger().record({ runId: r.id, kind: 'predict', job: 'score', status: 'completed', runDir, model: 'iris:1', digest: model.digest, rows: 150, startedAt: r.at, finishedAt: r.at, mode: 'local' });
    }
    const history = await driftHistory('iris', 5);
    expect(history.map((h) => h.runId)).toEqual(['score-0000000000000000000b', 'score-0000000000000000000a']);
    const rows = driftRows(history);
    expect(rows[0]).toMatchObject({ section: 'features', column: 'petal_length' });
    expect(rows[0].values[0]!.psi).toBeGreaterThan(1);
    expect(rows[0].values[1]!.psi).toBeCloseTo(0, 12);

    const cli = spawnSync(process.execPath, [join(ROOT, 'bin/ortq.js'), 'drift', 'iris', '--runs', '2'], { cwd: dir, encoding: 'utf8', env: { ...process.env, ORTQ_LOG_LEVEL: 'warn' } });
    expect(cli.status).toBe(0);
    const lines = cli.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/Section\s+Column\s+score-0000000000000000000b PSI \/ JS\s+score-0000000000000000000a PSI \/ JS/);
    expect(lines[1]).toMatch(/^input\s+petal_length\s+\d+\.\d{3} \/ 0\.\d{3}\s+0\.000 \/ 0\.000/);
    const json = spawnSync(process.execPath, [join(ROOT, 'bin/ortq.js'), 'drift', 'iris', '--json'], { cwd: dir, encoding: 'utf8', env: { ...process.env, ORTQ_LOG_LEVEL: 'warn' } });
    expect(JSON.parse(json.stdout).columns[0].column).toBe('petal_length');
  });
});
