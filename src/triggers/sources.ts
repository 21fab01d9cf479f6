import { discoverInputs } from '../io/discover.js';
import { inspectInput } from '../io/inspect.js';
import type { RunDrift } from '../monitor/drift-report.js';
import { cachedSha256s } from '../predict/fingerprint-cache.js';
import type { DriftRunSummary, DriftStats, InputFingerprint } from './evaluate.js';

/**
 * Adapters from what ortq records to what the triggers evaluate: input
 * fingerprints (the same sha256 the run ids use, cached against stat) and
 * the drift section of a prediction run's run.json.
 */

/** Every file under `path` (file, directory or glob) with its sha256 and row count where the format tells. */
export async function fingerprintInputs(path: string): Promise<InputFingerprint[]> {
  const files = await discoverInputs(path);
  const hashes = await cachedSha256s(files.map((f) => f.path));
  const out: InputFingerprint[] = [];
  for (let i = 0; i < files.length; i++) {
    const layout = await inspectInput(files[i]).catch(() => null);
    out.push({ path: files[i].path, sha256: hashes[i], rows: layout?.rows ?? null });
  }
  return out;
}

function stats(section: Record<string, { psi: number | null; js: number | null }>): Record<string, DriftStats> {
  const out: Record<string, DriftStats> = {};
  for (const [name, d] of Object.entries(section)) out[name] = { psi: d.psi ?? Number.NaN, js: d.js ?? Number.NaN };
  return out;
}

/** A finished prediction run as the drift triggers and the rollback watch see it. */
export function driftSummary(run: { runId: string; finishedAt: string; drift?: RunDrift | null }): DriftRunSummary {
  const d = run.drift;
  return {
    runId: run.runId,
    finishedAt: run.finishedAt,
    drift: d && d.status === 'computed' ? { features: stats(d.features), outputs: stats(d.outputs) } : null,
  };
}
