import { digestAlgorithm, recordedDigest } from '../io/digest.js';
import { discoverInputs } from '../io/discover.js';
import { inspectInput } from '../io/inspect.js';
import type { RunDrift } from '../monitor/drift-report.js';
import { cachedDigest, cachedDigests } from '../predict/fingerprint-cache.js';
import type { DriftRunSummary, DriftStats, InputFingerprint } from './evaluate.js';

/**
 * Adapters from what ortq records to what the triggers evaluate: input
 * fingerprints (the same digests the run ids use, cached against stat) and
 * the drift section of a prediction run's run.json.
 */

/** Every file under `path` (file, directory or glob) with its digest and row count where the format tells. */
export async function fingerprintInputs(path: string): Promise<InputFingerprint[]> {
  const files = await discoverInputs(path);
  const digests = await cachedDigests(files.map((f) => f.path));
  const out: InputFingerprint[] = [];
  for (let i = 0; i < files.length; i++) {
    const layout = await inspectInput(files[i]).catch(() => null);
    out.push({ path: files[i].path, digest: digests[i], rows: layout?.rows ?? null });
  }
  return out;
}

/**
 * A newData trigger's last fingerprint as stored in Redis, in today's terms:
 * one stored before the switch to xxh3-64 holds bare hex `sha256`s. A file
 * whose bytes still have that sha256 gets its current digest (unchanged, so
 * the upgrade alone fires nothing); a changed or gone one keeps
 * `sha256:<hex>`, which differs from any current digest.
 */
export async function upgradeFingerprint(stored: Array<InputFingerprint & { sha256?: string }>, current: InputFingerprint[]): Promise<InputFingerprint[]> {
  const now = new Map(current.map((f) => [f.path, f.digest]));
  const out: InputFingerprint[] = [];
  for (const f of stored) {
    const recorded = recordedDigest(f) ?? '';
    let digest = recorded;
    const currentDigest = now.get(f.path);
    if (currentDigest !== undefined && !recorded.startsWith(currentDigest.slice(0, currentDigest.indexOf(':') + 1))) {
      const same = await cachedDigest(f.path, digestAlgorithm(recorded)).then((d) => d === recorded, () => false);
      if (same) digest = currentDigest;
    }
    out.push({ path: f.path, digest, rows: f.rows });
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
