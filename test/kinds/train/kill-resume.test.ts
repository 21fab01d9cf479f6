import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { TrainScratch } from './train-fixtures.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const TRAINER = fileURLToPath(new URL('./fixtures/centroid-trainer.mjs', import.meta.url));
const BUILDER = join(ROOT, 'dist/onnx/builder.js');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function ortq(s: TrainScratch, args: string[]) {
  const env = { PATH: process.env.PATH ?? '', ORTQ_HOME: s.home, MODEL_REPO_PATH: s.repoRoot, ORTQ_LOG_LEVEL: 'warn' };
  return spawn(process.execPath, [join(ROOT, 'bin/ortq.js'), ...args], { cwd: s.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
}

async function finish(p: ReturnType<typeof ortq>): Promise<{ code: number | null; out: string; err: string }> {
  let out = '';
  let err = '';
  p.stdout!.on('data', (c) => { out += c; });
  p.stderr!.on('data', (c) => { err += c; });
  const code = await new Promise<number | null>((r) => p.on('exit', (c) => r(c)));
  return { code, out, err };
}

describe('ortq run of a train job, killed mid-training', () => {
  let s: TrainScratch;
  afterEach(() => s?.cleanup());

  it('SIGKILL during the trainer, then a rerun: the leftover trainer is killed, one version, promoted once; a third run is a no-op', async () => {
    s = new TrainScratch();
    const spec = s.raw({
      trainer: { command: [process.execPath, TRAINER, BUILDER], files: [TRAINER], inputFormat: 'csv', timeout: '1m' },
      hyperparameters: { mode: 'slow' },
    });
    const job = s.file('retrain.yaml', stringify(spec));
    const first = ortq(s, ['run', job, '--json']);
    const root = join(s.home, 'train-runs', 'iris-retrain');
    let pidFile = '';
    for (let i = 0; i < 600 && !pidFile; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const run = existsSync(root) ? readdirSync(root).find((n) => n.startsWith('run=')) : undefined;
      const f = run ? join(root, run, 'attempts', '1', '.trainer.pid') : '';
      if (f && existsSync(f) && readFileSync(f, 'utf8').length > 0) pidFile = f;
    }
    expect(pidFile).not.toBe('');
    const trainerPid = Number(readFileSync(pidFile, 'utf8').split(' ')[0]);
    first.kill('SIGKILL');
    await finish(first);
    expect(alive(trainerPid)).toBe(true); // its own process group outlives ortq
    const second = await finish(ortq(s, ['run', job, '--json']));
    expect(second.code, second.err).toBe(0);
    expect(alive(trainerPid)).toBe(false);
    const summary = JSON.parse(second.out) as Record<string, unknown>;
    expect(summary).toMatchObject({ kind: 'train', status: 'completed', verdict: 'blessed', promoted: true, alias: 'iris@champion', reused: false });
    expect(await s.repo.versions('iris')).toHaveLength(1);
    const third = await finish(ortq(s, ['run', job, '--json', '--require-blessed']));
    expect(third.code).toBe(0);
    expect(JSON.parse(third.out)).toMatchObject({ reused: true, candidate: summary.candidate });
    expect(await s.repo.versions('iris')).toHaveLength(1);
    expect((await s.repo.aliases('iris')).history.filter((e) => e.trainRun)).toHaveLength(1);
  });
});
