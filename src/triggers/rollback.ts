import type { DriftRunSummary } from './evaluate.js';

/** `promote.rollback` of a train job: how a freshly promoted champion is watched. */
export interface RollbackLimits {
  /** the first K prediction runs of the new champion are watched */
  runs: number;
  /** roll back when every one of them shows prediction drift above this (vs the champion's own profile) */
  maxDrift: { psi?: number; js?: number };
}

export type RollbackDecision =
  | { rollback: true; summary: string; evidence: { runs: Array<{ runId: string; output: string; stat: string; value: number }> } }
  | { rollback: false; summary: string };

/**
 * Decides whether the champion promoted at `promotedAt` rolls back: its first
 * `limits.runs` prediction runs after the promotion (oldest first in the
 * window) must all show prediction drift beyond a limit. Fewer runs so far,
 * or one run within the limits, keeps it. Runs without drift figures (no
 * profile) never roll anything back.
 */
export function evaluateRollback(limits: RollbackLimits, promotedAt: string, runs: DriftRunSummary[]): RollbackDecision {
  const after = runs.filter((r) => r.finishedAt > promotedAt).sort((a, b) => (a.finishedAt < b.finishedAt ? -1 : 1)).slice(0, limits.runs);
  if (after.length < limits.runs) return { rollback: false, summary: `${after.length} of ${limits.runs} post-promotion runs so far` };
  const worst: Array<{ runId: string; output: string; stat: string; value: number }> = [];
  for (const r of after) {
    if (!r.drift) return { rollback: false, summary: `run ${r.runId} has no drift figures` };
    let top: { output: string; stat: string; value: number } | null = null;
    for (const [output, s] of Object.entries(r.drift.outputs)) {
      for (const stat of ['psi', 'js'] as const) {
        const limit = limits.maxDrift[stat];
        if (limit !== undefined && s[stat] > limit && (!top || s[stat] / limit > top.value / limits.maxDrift[top.stat as 'psi' | 'js']!)) {
          top = { output, stat, value: s[stat] };
        }
      }
    }
    if (!top) return { rollback: false, summary: `run ${r.runId} is within the rollback limits` };
    worst.push({ runId: r.runId, ...top });
  }
  return {
    rollback: true,
    summary: `all ${limits.runs} runs after the promotion drifted: ${worst.map((w) => `${w.runId} ${w.output} ${w.stat}=${w.value.toFixed(3)}`).join(', ')}`,
    evidence: { runs: worst },
  };
}
