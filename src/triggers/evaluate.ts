import { createHash } from 'node:crypto';
import type { NamedTrigger } from './spec.js';

/**
 * Pure trigger evaluation: given what the scheduler read (recent prediction
 * runs with their drift, the train input's fingerprint), decide whether a
 * trigger fires, with a deterministic event id and the evidence. The same
 * state always gives the same event id, so schedulers side by side, or one
 * that restarted, claim each event once (see store.ts).
 */

export interface DriftStats { psi: number; js: number }

/** What a finished predict run says about drift (null: the model had no profile). */
export interface DriftRunSummary {
  runId: string;
  finishedAt: string;
  drift: { features: Record<string, DriftStats>; outputs: Record<string, DriftStats> } | null;
}

export interface DriftValue { kind: 'feature' | 'output'; name: string; value: number }

export type Evaluation =
  | { fire: true; eventId: string; evidence: Record<string, unknown>; summary: string }
  | { fire: false; summary: string };

function shortHash(parts: string[]): string {
  return createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 16);
}

/** The drifted features/outputs of one run above the threshold, most drifted first. */
export function driftedValues(t: Extract<NamedTrigger['config'], { drift: unknown }>['drift'], run: DriftRunSummary): DriftValue[] {
  if (!run.drift) return [];
  const out: DriftValue[] = [];
  const pick = (kind: DriftValue['kind'], stats: Record<string, DriftStats>, wanted: 'any' | 'none' | string[]) => {
    if (wanted === 'none') return;
    for (const [name, s] of Object.entries(stats)) {
      if (wanted !== 'any' && !wanted.includes(name)) continue;
      const value = s[t.stat];
      if (Number.isFinite(value) && value > t.threshold) out.push({ kind, name, value });
    }
  };
  pick('feature', run.drift.features, t.features);
  pick('output', run.drift.outputs, t.outputs);
  return out.sort((a, b) => b.value - a.value);
}

/**
 * A drift trigger fires when the newest `consecutiveRuns` runs (newest first
 * in `runs`) all drifted past the threshold. The event is the run that
 * completed the streak: a later drifted run is a new event (the guards'
 * cooldown and daily cap keep that from running away).
 */
export function evaluateDrift(trigger: NamedTrigger, runs: DriftRunSummary[]): Evaluation {
  if (!('drift' in trigger.config)) throw new Error(`${trigger.name} is not a drift trigger`);
  const t = trigger.config.drift;
  const window = runs.slice(0, t.consecutiveRuns);
  if (window.length < t.consecutiveRuns) {
    return { fire: false, summary: `${window.length} of ${t.consecutiveRuns} runs needed so far` };
  }
  const withProfile = window.filter((r) => r.drift);
  if (withProfile.length < window.length) return { fire: false, summary: 'a recent run has no reference profile to compare with' };
  const perRun = window.map((r) => ({ runId: r.runId, finishedAt: r.finishedAt, drifted: driftedValues(t, r) }));
  const streak = perRun.findIndex((r) => r.drifted.length === 0);
  if (streak !== -1) {
    return { fire: false, summary: `${streak} of ${t.consecutiveRuns} consecutive runs drifted (${t.stat} > ${t.threshold})` };
  }
  const worst = perRun[0].drifted[0];
  return {
    fire: true,
    eventId: `drift-${shortHash([trigger.name, perRun[0].runId])}`,
    summary: `${t.consecutiveRuns} consecutive runs drifted; worst ${worst.kind} ${worst.name} ${t.stat}=${worst.value.toFixed(4)}`,
    evidence: { stat: t.stat, threshold: t.threshold, runs: perRun },
  };
}

/** `digest`: `<algorithm>:<hex>` of the file's bytes (src/io/digest.ts) */
export interface InputFingerprint { path: string; digest: string; rows: number | null }

/**
 * A new-data trigger fires when the train input's fingerprint differs from
 * the one its last firing saw and at least `minNewRows` rows were added. The
 * event id is the new fingerprint, so one fingerprint fires once.
 */
export function evaluateNewData(trigger: NamedTrigger, current: InputFingerprint[], lastFired: InputFingerprint[] | null): Evaluation {
  if (!('newData' in trigger.config)) throw new Error(`${trigger.name} is not a newData trigger`);
  const key = (fs: InputFingerprint[]) => fs.map((f) => `${f.path}\0${f.digest}`).sort().join('\n');
  if (current.length === 0) return { fire: false, summary: 'no input files' };
  if (lastFired && key(lastFired) === key(current)) return { fire: false, summary: 'input unchanged since the last firing' };
  const before = new Map((lastFired ?? []).map((f) => [f.path, f]));
  const changed = current.filter((f) => before.get(f.path)?.digest !== f.digest);
  const removed = (lastFired ?? []).filter((f) => !current.some((c) => c.path === f.path)).map((f) => f.path);
  const rowsNow = current.reduce((s, f) => s + (f.rows ?? 0), 0);
  const rowsBefore = (lastFired ?? []).reduce((s, f) => s + (f.rows ?? 0), 0);
  const newRows = Math.max(0, rowsNow - rowsBefore);
  const minNewRows = trigger.config.newData.minNewRows;
  if (lastFired && newRows < minNewRows) {
    return { fire: false, summary: `${newRows} new rows, fewer than minNewRows ${minNewRows}` };
  }
  return {
    fire: true,
    eventId: `newdata-${shortHash([trigger.name, key(current)])}`,
    summary: `${changed.length} new or changed file(s), ${newRows} new rows`,
    evidence: { files: changed, removed, rows: rowsNow, newRows, first: lastFired === null },
  };
}

/** A cron tick is an event of its own: the trigger name and the tick's logical time. */
export function cronEventId(logical: Date): string {
  return `cron-${logical.toISOString().replace(/[:.]/g, '-')}`;
}
