import { join } from 'node:path';
import { AliasStore, moveAlias, rollbackTarget, type AliasEvent } from '../repo/aliases.js';
import { addHold, readHolds } from '../repo/holds.js';
import type { ModelRepository } from '../repo/model-repository.js';
import type { DriftRunSummary } from './evaluate.js';
import { evaluateRollback, type RollbackLimits } from './rollback.js';
import type { TriggerEvent, TriggerStore } from './store.js';

/**
 * The rollback watch, run by `ortq scheduler` on each evaluation round (not
 * by the prediction runs: a run's finalize may happen on any worker, while
 * the scheduler already reads every finished run for the drift triggers and
 * holds the Redis store where the rollback is recorded once).
 *
 * For a job with `promote.rollback`, when the alias's latest move is an
 * automatic promotion (`by: train`), the promoted version's first K
 * prediction runs are compared against the limits (evaluateRollback). All K
 * drifted: the alias moves back to where it pointed before, by
 * compare-and-set under the alias lock (a person who moved it meanwhile
 * wins), the version is held (src/repo/holds.ts) so no automatic promotion
 * moves the alias back to it, its verdict gets the reason, and one
 * `rollback` event is recorded (`ortq triggers list`,
 * `ortq_rollbacks_total{model}`). Every step is idempotent: a scheduler
 * killed half-way finishes the job on its next round, and two schedulers
 * record it once.
 */

export const ROLLBACK_BY = 'rollback';

export type RollbackWatchOutcome =
  | { outcome: 'idle'; summary: string }
  | { outcome: 'watching' | 'kept'; version: string; summary: string }
  | { outcome: 'rolled-back'; version: string; to: string | null; summary: string };

export interface RollbackWatchDeps {
  repo: ModelRepository;
  recentRuns(tag: string, n: number): Promise<DriftRunSummary[]>;
}

/** What the watch needs of a watched train job. */
export interface RollbackJob { name: string; model: string; alias: string; rollback: RollbackLimits | null }

// runs of the promoted version read per round: the watch decides within its first K
const RUNS_READ = 200;

function lastMove(history: AliasEvent[], alias: string): AliasEvent | null {
  for (let i = history.length - 1; i >= 0; i--) if (history[i].alias === alias) return history[i];
  return null;
}

export async function watchRollback(job: RollbackJob, store: TriggerStore, deps: RollbackWatchDeps, now = new Date()): Promise<RollbackWatchOutcome> {
  const limits = job.rollback;
  if (!limits) return { outcome: 'idle', summary: 'no promote.rollback' };
  const { repo } = deps;
  const file = await repo.aliases(job.model);
  const last = lastMove(file.history, job.alias);
  if (last?.action === 'rollback' && last.by === ROLLBACK_BY && last.from) {
    // rolled back by a watch: make sure the hold and the event exist (a kill in between)
    await finish(job, store, deps, { version: last.from, to: last.to, at: last.at, trainRun: last.trainRun, summary: 'rolled back automatically', evidence: {} });
    return { outcome: 'idle', summary: `${job.model}@${job.alias} was rolled back from ${last.from} at ${last.at}` };
  }
  const current = file.aliases[job.alias];
  if (!current || !last || last.action !== 'move' || last.by !== 'train' || last.to !== current) {
    return { outcome: 'idle', summary: `${job.model}@${job.alias} was not moved by an automatic promotion last` };
  }
  const watchKey = `watch:${job.model}:${job.alias}:${current}:${last.at}`;
  if (await store.onceValue(watchKey)) return { outcome: 'kept', version: current, summary: `${job.model}:${current} passed its rollback watch` };
  const runs = await deps.recentRuns(`${job.model}:${current}`, RUNS_READ);
  const after = runs.filter((r) => r.finishedAt > last.at).length;
  const decision = evaluateRollback(limits, last.at, runs);
  if (!decision.rollback) {
    if (after >= limits.runs) {
      await store.once(watchKey, decision.summary);
      return { outcome: 'kept', version: current, summary: decision.summary };
    }
    return { outcome: 'watching', version: current, summary: decision.summary };
  }
  if (last.from === null) {
    await store.once(watchKey, 'no previous champion');
    return { outcome: 'kept', version: current, summary: `${decision.summary}; but ${job.model}@${job.alias} had no champion before: nothing to roll back to` };
  }
  const at = now.toISOString();
  const moved = await new AliasStore(join(repo.root, job.model)).update((state) => {
    if (state.aliases[job.alias] !== current) return null;
    const target = rollbackTarget(state, job.alias);
    if (!target || target.to === null) return null;
    moveAlias(state, job.alias, target.to, 'rollback', now, { by: ROLLBACK_BY, trainRun: last.trainRun });
    const v = state.verdicts?.[current];
    if (v) state.verdicts![current] = { ...v, reasons: [...v.reasons, `rolled back automatically at ${at}: ${decision.summary}`] };
    return { to: target.to };
  });
  if (!moved) return { outcome: 'idle', summary: `${job.model}@${job.alias} moved meanwhile; no rollback` };
  await finish(job, store, deps, { version: current, to: moved.to, at, trainRun: last.trainRun, summary: decision.summary, evidence: { runs: decision.evidence.runs, promotedAt: last.at } });
  return { outcome: 'rolled-back', version: current, to: moved.to, summary: decision.summary };
}

async function finish(job: RollbackJob, store: TriggerStore, deps: RollbackWatchDeps, r: {
  version: string; to: string | null; at: string; trainRun?: string; summary: string; evidence: Record<string, unknown>;
}): Promise<void> {
  const nameDir = join(deps.repo.root, job.model);
  if (!(await readHolds(nameDir))[r.version]) {
    await addHold(nameDir, { version: r.version, reason: `rolled back automatically from ${job.model}@${job.alias}: ${r.summary}`, at: r.at, by: ROLLBACK_BY });
  }
  const eventId = `rollback-${r.version}-${r.at.replace(/[:.]/g, '-')}`;
  if (!(await store.once(`event:${job.model}:${eventId}`))) return;
  const e: TriggerEvent = {
    at: r.at, trigger: `${job.name}.rollback`, job: job.name, type: 'rollback', eventId, outcome: 'rollback', model: job.model,
    reason: `${job.model}@${job.alias}: ${r.version} → ${r.to ?? '(unset)'}: ${r.summary}`,
    evidence: { from: r.version, to: r.to, trainRun: r.trainRun ?? null, ...r.evidence },
  };
  await store.record(e);
}
