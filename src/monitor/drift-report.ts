/**
 * A run's drift against its model's reference profile: PSI and
 * Jensen–Shannon distance per input column and per output column. This is
 * the `drift` section of run.json.
 */
import type { HistogramSet } from './histograms.js';
import { distribution, type ColumnProfile, type ReferenceProfile } from './profile.js';
import { jensenShannon, psi, PSI_EPSILON } from './stats.js';

export const DRIFT_SCHEMA = 1;

export interface ColumnDrift {
  /** population stability index (smoothed, see stats.ts); null when the run counted no values */
  psi: number | null;
  /** Jensen–Shannon distance, base 2, in [0, 1] */
  js: number | null;
  /** values the run counted in this column (nulls included) */
  count: number;
  /** the run's null/NaN rate, and the reference's */
  nullRate: number | null;
  referenceNullRate: number;
}

export interface DriftReport {
  status: 'computed';
  schema: typeof DRIFT_SCHEMA;
  /** digest of the profile.json the run was compared with */
  profile: string;
  rows: number;
  outputRows: number;
  features: Record<string, ColumnDrift>;
  outputs: Record<string, ColumnDrift>;
  /** the column with the largest PSI, when any PSI was computed */
  worst: { section: 'features' | 'outputs'; column: string; psi: number; js: number | null } | null;
  /** how empty bins were smoothed for PSI */
  smoothing: { psiEpsilon: number };
  /** the run's merged counts, kept so that later tools can recompute or re-merge */
  histograms: HistogramSet;
}

/** What run.json records when no drift was computed, and why (e.g. the model version has no profile). */
export interface DriftSkipped { status: 'skipped'; reason: string }

export type RunDrift = DriftReport | DriftSkipped;

function columnDrift(ref: ColumnProfile, counts: number[]): ColumnDrift | null {
  const expected = distribution(ref);
  if (counts.length !== expected.length) return null;
  let total = 0;
  for (const c of counts) total += c;
  return {
    psi: psi(expected, counts),
    js: jensenShannon(expected, counts),
    count: total,
    nullRate: total > 0 ? counts[counts.length - 1] / total : null,
    referenceNullRate: ref.nullRate,
  };
}

function section(refs: Record<string, ColumnProfile>, counts: Record<string, number[]>): Record<string, ColumnDrift> {
  const out: Record<string, ColumnDrift> = {};
  for (const [name, ref] of Object.entries(refs)) {
    const c = counts[name];
    const d = c ? columnDrift(ref, c) : null;
    if (d) out[name] = d;
  }
  return out;
}

/** Compares a run's merged histograms with the profile they were counted against. */
export function driftReport(profile: ReferenceProfile, merged: HistogramSet): DriftReport {
  const features = section(profile.features, merged.features);
  const outputs = section(profile.outputs, merged.outputs);
  let worst: DriftReport['worst'] = null;
  for (const [sec, cols] of [['features', features], ['outputs', outputs]] as const) {
    for (const [column, d] of Object.entries(cols)) {
      if (d.psi !== null && (worst === null || d.psi > worst.psi)) worst = { section: sec, column, psi: d.psi, js: d.js };
    }
  }
  return {
    status: 'computed',
    schema: DRIFT_SCHEMA,
    profile: merged.profile,
    rows: merged.rows,
    outputRows: merged.outputRows,
    features,
    outputs,
    worst,
    smoothing: { psiEpsilon: PSI_EPSILON },
    histograms: merged,
  };
}
