import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addHold, readHolds } from '../../src/repo/holds.js';
import type { DriftRunSummary } from '../../src/triggers/evaluate.js';
import { evaluateRollback } from '../../src/triggers/rollback.js';

const run = (id: string, at: string, psi: number): DriftRunSummary => ({
  runId: id, finishedAt: at, drift: { features: {}, outputs: { probabilities: { psi, js: psi / 3 } } },
});

describe('automatic rollback', () => {
  const limits = { runs: 2, maxDrift: { psi: 0.25 } };
  const promotedAt = '2026-12-01T10:00:00.000Z';

  it('rolls back only when each of the first K runs after the promotion drifted', () => {
    const before = run('old', '2026-12-01T09:00:00.000Z', 0.9); // the previous champion's run: not counted
    expect(evaluateRollback(limits, promotedAt, [before, run('a', '2026-12-01T11:00:00.000Z', 0.5)])).toMatchObject({ rollback: false, summary: '1 of 2 post-promotion runs so far' });
    expect(evaluateRollback(limits, promotedAt, [run('a', '2026-12-01T11:00:00.000Z', 0.5), run('b', '2026-12-01T12:00:00.000Z', 0.1)]).rollback).toBe(false);
    const d = evaluateRollback(limits, promotedAt, [run('b', '2026-12-01T12:00:00.000Z', 0.4), run('a', '2026-12-01T11:00:00.000Z', 0.5), before]);
    expect(d).toMatchObject({ rollback: true, evidence: { runs: [{ runId: 'a', output: 'probabilities', stat: 'psi', value: 0.5 }, { runId: 'b', value: 0.4 }] } });
    // only the first K runs decide: a later drifted run does not reopen a champion that was fine
    expect(evaluateRollback(limits, promotedAt, [run('a', '2026-12-01T11:00:00.000Z', 0.1), run('b', '2026-12-01T12:00:00.000Z', 0.1), run('c', '2026-12-01T13:00:00.000Z', 0.9)]).rollback).toBe(false);
  });

  it('never rolls back on runs without drift figures', () => {
    const none: DriftRunSummary = { runId: 'a', finishedAt: '2026-12-01T11:00:00.000Z', drift: null };
    expect(evaluateRollback({ runs: 1, maxDrift: { psi: 0.1 } }, promotedAt, [none]).rollback).toBe(false);
  });

  it('holds a rolled-back version back from automatic promotion', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ortq-holds-'));
    try {
      expect(await readHolds(dir)).toEqual({});
      await addHold(dir, { version: 'v2', reason: 'rolled back: drift', at: promotedAt, by: 'iris-retrain.rollback' });
      await addHold(dir, { version: 'v3', reason: 'x', at: promotedAt, by: 'cli' });
      expect(Object.keys(await readHolds(dir)).sort()).toEqual(['v2', 'v3']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
