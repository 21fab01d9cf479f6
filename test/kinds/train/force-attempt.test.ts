import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { TrainScratch } from './train-fixtures.js';

/**
 * A train run registers its candidate in the model repository, outside its
 * run directory: an attempt that got that far must be resumed, not
 * replaced by a second attempt with a second version (issue 8: never two
 * versions for one run).
 */
const DIST = fileURLToPath(new URL('../../../dist/', import.meta.url));

/** Runs the job in a child process that SIGKILLs itself when `step` is about to start. */
function runKilledAt(s: TrainScratch, step: string, force: boolean): void {
  const url = (p: string) => pathToFileURL(join(DIST, p)).href;
  const script = `
    import { trainKind } from '${url('kinds/train/kind.js')}';
    import { checkHyperparameters, parseTrainJob } from '${url('kinds/train/spec.js')}';
    import { runJobLocally } from '${url('runs/local-runner.js')}';
    import { ModelRepository } from '${url('repo/model-repository.js')}';
    import { loadConfig } from '${url('config.js')}';
    const job = await checkHyperparameters(parseTrainJob(JSON.parse(process.env.SPEC), { baseDir: process.cwd(), source: 'test' }));
    await runJobLocally(trainKind, job, {
      config: loadConfig({ env: process.env, cwd: process.cwd() }), repo: new ModelRepository({ root: process.env.MODEL_REPO_PATH }),
      force: ${force}, onStep: (s) => { if (s.id === '${step}') process.kill(process.pid, 'SIGKILL'); },
    });`;
  const r = spawnSync(process.execPath, [s.file('killed-at.mjs', script)], {
    cwd: s.dir, env: { PATH: process.env.PATH ?? '', ORTQ_HOME: s.home, MODEL_REPO_PATH: s.repoRoot, SPEC: JSON.stringify(s.raw()) },
    encoding: 'utf8',
  });
  expect(r.signal, r.stderr).toBe('SIGKILL');
}

const trainRoot = (s: TrainScratch) => join(s.home, 'train-runs', 'iris-retrain');

describe('--force of a train run, interrupted after it registered its candidate', () => {
  let s: TrainScratch;
  afterEach(() => s?.cleanup());

  it('a failed --force attempt is kept and the next --force resumes it: one more version, not two', async () => {
    s = new TrainScratch();
    const job = await s.job();
    const first = await s.run(job);
    expect(await s.repo.versions('iris')).toHaveLength(1);
    await expect(s.run(job, { force: true, onStep: (st) => { if (st === 'promote') throw new Error('promote failed'); } })).rejects.toThrow(/promote failed/);
    expect(await s.repo.versions('iris')).toHaveLength(2);
    // a plain run meanwhile reports the finished run and leaves the attempt alone
    const plain = await s.run(job);
    expect(plain.reused).toBe(true);
    expect(readdirSync(trainRoot(s)).filter((n) => n.includes('.next-'))).toHaveLength(1);
    const forced = await s.run(job, { force: true });
    expect(forced.reused).toBe(false);
    expect(forced.manifest.status).toBe('completed');
    expect(forced.plan.attempt).not.toBe(first.plan.attempt);
    expect(await s.repo.versions('iris')).toHaveLength(2);
    expect(readdirSync(trainRoot(s)).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('SIGKILL of a --force run before promote, then --force: the same attempt finishes, no orphan version', async () => {
    s = new TrainScratch();
    const job = await s.job();
    const first = (await s.run(job)).manifest.candidate!.version;
    runKilledAt(s, 'promote', true);
    const versions = (await s.repo.versions('iris')).map((v) => v.version);
    expect(versions).toHaveLength(2);
    const forced = await s.run(job, { force: true });
    expect(forced.manifest.status).toBe('completed');
    expect((await s.repo.versions('iris')).map((v) => v.version)).toEqual(versions);
    expect(forced.manifest.candidate?.version).toBe(versions.find((v) => v !== first));
  });

  it('SIGKILL of a first run before promote, then --force: resumes that run instead of registering a second candidate', async () => {
    s = new TrainScratch();
    const job = await s.job();
    runKilledAt(s, 'promote', false);
    expect(await s.repo.versions('iris')).toHaveLength(1);
    const forced = await s.run(job, { force: true });
    expect(forced.manifest.status).toBe('completed');
    expect(await s.repo.versions('iris')).toHaveLength(1);
    expect(forced.manifest.promoted).toBe(true);
  });
});
