import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { TrainScratch } from './train-fixtures.js';

const TRAINER = fileURLToPath(new URL('./fixtures/centroid-trainer.mjs', import.meta.url));
const BUILDER = fileURLToPath(new URL('../../../dist/onnx/builder.js', import.meta.url));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('command trainer (a Node script under the file contract)', () => {
  let s: TrainScratch;
  afterEach(() => s?.cleanup());

  const job = (mode: string, trainer: Record<string, unknown> = {}) => s.job({
    trainer: { command: [process.execPath, TRAINER, BUILDER], files: [TRAINER], inputFormat: 'csv', timeout: '3s', grace: '1s', ...trainer },
    hyperparameters: { mode },
  });

  it('success: the candidate is evaluated by ortq, registered with its files, trainer identity and reported metrics', async () => {
    s = new TrainScratch();
    const r = await s.run(await job('ok'));
    expect(r.manifest.verdict).toBe('blessed');
    expect(r.manifest.metrics.candidate!.accuracy).toBeGreaterThan(0.85);
    expect(r.manifest.trainer_output_tail).toContain('centroid trainer: mode ok, 120 train rows');
    const v = await s.repo.resolve('iris@champion');
    expect(v.manifest.attachments).toEqual(expect.arrayContaining(['attachments/centroids.json', 'attachments/evaluation.json']));
    expect(v.manifest.lineage.trainer).toMatchObject({ kind: 'command', command: [process.execPath, TRAINER, BUILDER], files: [{ path: TRAINER, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }] });
    expect((v.manifest.metadata.train as { reportedByTrainer: unknown }).reportedByTrainer).toEqual({ trainRows: 120 });
  });

  it.each([
    ['fail-file', /the trainer reported a failure: not enough rows for class virginica/],
    ['exit', /exited with status 7; its output ended:\n.*something broke in the trainer/s],
  ])('%s → ORTQ_TRAIN_FAILED, nothing registered', async (mode, message) => {
    s = new TrainScratch();
    await expect(s.run(await job(mode))).rejects.toMatchObject({ code: 'ORTQ_TRAIN_FAILED', message: expect.stringMatching(message) });
    expect(await s.repo.versions('iris')).toHaveLength(0);
  });

  it('a model that does not load → ORTQ_MODEL_INVALID, nothing registered', async () => {
    s = new TrainScratch();
    await expect(s.run(await job('bad-model'))).rejects.toMatchObject({ code: 'ORTQ_MODEL_INVALID' });
    expect(await s.repo.versions('iris')).toHaveLength(0);
  });

  it('timeout: SIGTERM (ignored), then SIGKILL to the process group; its child process dies too', async () => {
    s = new TrainScratch();
    const j = await job('hang', { timeout: '2s', grace: '1s' });
    await expect(s.run(j)).rejects.toMatchObject({ code: 'ORTQ_TRAIN_FAILED', message: expect.stringContaining('timed out after 2s') });
    const root = join(s.home, 'train-runs', 'iris-retrain');
    const { readdirSync } = await import('node:fs');
    const runDir = join(root, readdirSync(root).find((n) => n.startsWith('run='))!);
    const childPid = Number(readFileSync(join(runDir, 'attempts', '1', 'output', 'child.pid'), 'utf8'));
    expect(childPid).toBeGreaterThan(0);
    expect(alive(childPid)).toBe(false);
    expect(await s.repo.versions('iris')).toHaveLength(0);
  });

  it('the environment holds ORTQ_TRAIN_DIR, ORTQ_SEED, ORTQ_NUM_THREADS and trainer.env names only', async () => {
    s = new TrainScratch();
    process.env.ORTQ_TEST_SECRET = 'redis://:hunter2@example:6379';
    process.env.ORTQ_TEST_PASSED = 'yes';
    try {
      const r = await s.run(await job('env', { env: ['ORTQ_TEST_PASSED', 'NOT_SET_ANYWHERE'] }));
      const v = await s.repo.resolve(r.manifest.candidate!.tag);
      const env = JSON.parse(readFileSync(join(v.dir, 'attachments', 'env.json'), 'utf8')) as Record<string, string>;
      expect(Object.keys(env).sort()).toEqual(['ORTQ_NUM_THREADS', 'ORTQ_SEED', 'ORTQ_TEST_PASSED', 'ORTQ_TRAIN_DIR']);
      expect(env.ORTQ_SEED).toBe('7');
      expect(JSON.stringify(env)).not.toContain('hunter2');
      expect(existsSync(env.ORTQ_TRAIN_DIR)).toBe(false); // a successful attempt's folder is removed
    } finally {
      delete process.env.ORTQ_TEST_SECRET;
      delete process.env.ORTQ_TEST_PASSED;
    }
  });
});
