/**
 * Drift across a model's recent prediction runs, read from the drift
 * sections of their run.json files (found through the run ledger).
 */
import { RunLedger } from '../runs/ledger.js';
import { readRunManifest } from '../runs/store.js';
import { assertValidSegment } from '../repo/tag.js';
import type { RunDrift } from './drift-report.js';

export interface RunDriftEntry {
  runId: string;
  job: string;
  /** the version the run scored with, `name:version` */
  model: string;
  finishedAt: string;
  /** null for a run that predates drift monitoring */
  drift: RunDrift | null;
}

/**
 * The newest `runs` completed prediction runs of model `name` (any version,
 * or only `opts.version`), newest first.
 */
export async function driftHistory(name: string, runs: number, opts: { version?: string; ledger?: RunLedger } = {}): Promise<RunDriftEntry[]> {
  assertValidSegment('name', name);
  const want = opts.version ? `${name}:${opts.version}` : null;
  const records = (await (opts.ledger ?? new RunLedger()).list())
    .filter((r) => r.status === 'completed' && (r.kind ?? 'predict') === 'predict' && (want ? r.model === want : r.model.startsWith(`${name}:`)));
  const out: RunDriftEntry[] = [];
  for (const r of records) {
    if (out.length >= runs) break;
    const m = await readRunManifest(r.runDir).catch(() => null);
    if (!m) continue;
    out.push({ runId: m.runId, job: m.job.name, model: m.model?.tag ?? r.model, finishedAt: m.finishedAt, drift: (m as { drift?: RunDrift }).drift ?? null });
  }
  return out;
}

export interface DriftRow {
  section: 'features' | 'outputs';
  column: string;
  /** per run, in the order of the entries: PSI and JS, null where the run has none */
  values: Array<{ psi: number | null; js: number | null } | null>;
  /** the largest PSI over the runs (−1 when none) */
  worstPsi: number;
}

/** One row per profiled column over the runs, the most drifted (largest PSI in any run) first. */
export function driftRows(entries: RunDriftEntry[]): DriftRow[] {
  const rows = new Map<string, DriftRow>();
  entries.forEach((e, i) => {
    if (e.drift?.status !== 'computed') return;
    for (const section of ['features', 'outputs'] as const) {
      for (const [column, d] of Object.entries(e.drift[section])) {
        const key = `${section}\0${column}`;
        let row = rows.get(key);
        if (!row) {
          row = { section, column, values: entries.map(() => null), worstPsi: -1 };
          rows.set(key, row);
        }
        row.values[i] = { psi: d.psi, js: d.js };
        if (d.psi !== null && d.psi > row.worstPsi) row.worstPsi = d.psi;
      }
    }
  });
  return [...rows.values()].sort((a, b) => b.worstPsi - a.worstPsi || a.column.localeCompare(b.column));
}
