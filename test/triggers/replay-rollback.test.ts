import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runTrainStep } from '../../src/kinds/train/steps.js';
import { readVerdicts } from '../../src/kinds/train/verdicts.js';
import type { RunManifest } from '../../src/predict/types.js';
import { readHolds } from '../../src/repo/holds.js';
import { loadTriggerJobs } from '../../src/queue/scheduler/trigger-jobs.js';
import { recentPredictRuns } from '../../src/queue/scheduler/trigger-deps.js';
import { readReceipt, type StepName } from '../../src/kinds/train/run-files.js';
import { watchRollback } from '../../src/triggers/rollback-watch.js';
import { TriggerStore } from '../../src/triggers/store.js';
import { useRedisServer } from '../helpers/redis-server.js';
import { LoopScratch } from './loop-fixtures.js';

const REPLAY = { runs: 3, maxShift: { psi: 0.1, flipRate: 0.05 } };

describe('replay before promote (real files, onnxruntime)', () => {
  let s: LoopScratch;
  afterEach(() => s?.cleanup());

  it('lets a faithful candidate through and holds one whose predictions flip, with the figures; a changed input is skipped and reported', async () => {
    s = new LoopScratch();
    const v1 = await s.run(await s.job());
    const p1 = await s.predict(s.inputs('p1.csv'));
    const p2input = s.inputs('p2.csv', ([a, b, c, d]) => [a * 1.02, b, c * 0.98, d]);
    const p2 = await s.predict(p2input);

    // faithful: another regularization, same labels
    const faithful = await s.run(await s.job({ seed: 8, hyperparameters: { l2: 0.5 }, promote: { mode: 'auto', replay: REPLAY } }));
    expect(faithful.manifest.verdict).toBe('blessed');
    expect(faithful.manifest.promoted).toBe(true);
    expect(faithful.manifest.replay).toMatchObject({ pass: true, champion: v1.manifest.candidate!.tag, skipped: [] });
    expect(faithful.manifest.replay!.runs.map((r) => r.runId).sort()).toEqual([p1.runId, p2.runId].sort());
    expect(faithful.manifest.replay!.rows).toBe(60);
    expect(faithful.manifest.replay!.flipRate!).toBeLessThanOrEqual(0.05);

    // flipping: trained on data whose setosa and virginica labels are swapped; it wins on its own eval split
    s.relabel({ setosa: 'virginica', virginica: 'setosa' });
    appendFileSync(p2input, '5.0,3.4,1.5,0.2,setosa\n'); // p2's input changed since it ran
    const flip = await s.run(await s.job({ seed: 9, promote: { mode: 'auto', replay: REPLAY } }));
    expect(flip.manifest.metrics.candidate!.accuracy!).toBeGreaterThan(0.9);
    expect(flip.manifest.verdict).toBe('pending_approval');
    expect(flip.manifest.promoted).toBe(false);
    const replay = flip.manifest.replay!;
    expect(replay.pass).toBe(false);
    expect(replay.runs.map((r) => r.runId)).toEqual([p1.runId]);
    expect(replay.skipped).toEqual([{ runId: p2.runId, reason: expect.stringContaining('input changed since the run') }]);
    // the class frequencies barely move (a swap of two equally common classes): the flips catch it
    expect(replay.flipRate!).toBeGreaterThan(0.5);
    expect(replay.psi!).toBeLessThan(0.1);
    expect(replay.reasons).toEqual([expect.stringMatching(/^replay psi [\d.]+ ≤ maxShift.psi 0.1 /), expect.stringMatching(/^replay flipRate [\d.]+ > maxShift.flipRate 0.05 \(30 rows of 1 run\(s\) vs iris:/)]);
    expect(flip.manifest.reasons.at(-1)!.message).toMatch(/^replay before promote: replay flipRate [\d.]+ > maxShift.flipRate 0.05 .*ortq models approve/);
    expect((await s.repo.resolve('iris@champion')).tag).toBe(faithful.manifest.candidate!.tag);
    expect((await readVerdicts(s.repo, 'iris'))[flip.manifest.candidate!.version].verdict).toBe('pending_approval');
  });
});

describe('automatic rollback (real redis-server, onnxruntime, files)', () => {
  const server = useRedisServer();
  let s: LoopScratch;
  afterEach(() => s?.cleanup());

  it('rolls the alias back after K drifted post-promotion runs, holds the version, records and counts it once; auto-promote respects the hold', async () => {
    s = new LoopScratch();
    const v1 = await s.run(await s.job());
    const rollback = { runs: 2, maxDrift: { psi: 0.2 } };
    const v2 = await s.run(await s.job({ seed: 8, hyperparameters: { l2: 0.5 }, promote: { mode: 'auto', rollback } }));
    expect(v2.manifest.promoted).toBe(true);
    const [job] = await loadTriggerJobs([{ job: s.jobFile('retrain.yaml', { promote: { mode: 'auto', rollback } }), triggers: [] }], s.dir);
    const store = new TriggerStore(server.redis, 'rb');
    const deps = { repo: s.repo, recentRuns: (tag: string, n: number) => recentPredictRuns(s.repo, tag, n) };
    const drifted = s.inputs('drifted.csv', ([a, b, c, d]) => [a + 2, b, c + 4, d + 2]);

    const m1: RunManifest = await s.predict(drifted);
    expect(m1.model.tag).toBe(v2.manifest.candidate!.tag);
    expect(Object.values(m1.drift!.status === 'computed' ? m1.drift!.outputs : {}).some((o) => (o.psi ?? 0) > 0.2)).toBe(true);
    expect(await watchRollback(job, store, deps)).toMatchObject({ outcome: 'watching', summary: '1 of 2 post-promotion runs so far' });
    await s.predict(drifted);
    const r = await watchRollback(job, store, deps);
    expect(r).toMatchObject({ outcome: 'rolled-back', version: v2.manifest.candidate!.version, to: v1.manifest.candidate!.version });
    expect((await s.repo.resolve('iris@champion')).tag).toBe(v1.manifest.candidate!.tag);
    const aliases = await s.repo.aliases('iris');
    expect(aliases.history.at(-1)).toMatchObject({ action: 'rollback', by: 'rollback', from: v2.manifest.candidate!.version });
    expect((await readHolds(join(s.repoRoot, 'iris')))[v2.manifest.candidate!.version]).toMatchObject({ by: 'rollback' });
    expect(aliases.verdicts![v2.manifest.candidate!.version].reasons.at(-1)).toMatch(/^rolled back automatically/);
    // a second round (or a second scheduler) records nothing more
    expect(await watchRollback(job, store, deps)).toMatchObject({ outcome: 'idle' });
    const events = (await store.events()).filter((e) => e.outcome === 'rollback');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ model: 'iris', trigger: 'iris-retrain.rollback', evidence: { from: v2.manifest.candidate!.version, to: v1.manifest.candidate!.version } });
    expect(await store.rollbackCounts()).toEqual([{ model: 'iris', count: 1 }]);

    // the promote step of v2's run again (a resumed run): the held version is not promoted back
    const receipt = async <T>(step: StepName) => (await readReceipt<T>(v2.plan.runDir, step)) as T;
    const again = await runTrainStep(v2.plan, 'promote', { repo: s.repo, receipt }) as { promoted: boolean; verdict: string; reason: string };
    expect(again).toMatchObject({ promoted: false, verdict: 'pending_approval', reason: expect.stringContaining('held from automatic promotion') });
    expect((await s.repo.resolve('iris@champion')).tag).toBe(v1.manifest.candidate!.tag);
  });
});
