import type { ModelRepository, ModelSummary } from '../repo/model-repository.js';

/**
 * Per model, what an operator asks first: which version is champion and
 * since when, how the last training went, what waits for approval, how far
 * the live data drifted, and when a retraining may fire next. Shared by
 * `ortq status` and the dashboard's models page.
 */

export interface DriftHeadline { runId: string; finishedAt: string; worst: { kind: 'feature' | 'output'; name: string; stat: string; value: number } | null }
export interface TriggerHeadline { name: string; type: string; lastFiredAt?: string; lastSummary?: string; next?: string }

export interface ModelOverview {
  name: string;
  versions: number;
  champion: { version: string; since: string; ageSeconds: number } | null;
  lastTraining: { version: string; verdict: string; createdAt: string; trainRun: string | null; headline: { metric: string; value: number } | null } | null;
  pendingApprovals: string[];
  drift: DriftHeadline | null;
  triggers: TriggerHeadline[];
}

export interface OverviewSources {
  /** the alias that names the champion @defaultValue 'champion' */
  alias?: string;
  now?: Date;
  /** the newest prediction run of the model with its worst drift */
  drift?: (model: string) => Promise<DriftHeadline | null>;
  /** the retraining triggers watching the model */
  triggers?: (model: string) => Promise<TriggerHeadline[]>;
}

function headline(m: ModelSummary): { metric: string; value: number } | null {
  const ev = m.manifest.metadata?.evaluation as { headline?: { metric: string; value: number } } | undefined;
  if (ev?.headline) return ev.headline;
  const metric = m.manifest.labels.headlineMetric;
  const value = Number(m.manifest.labels.headlineValue);
  return metric && Number.isFinite(value) ? { metric, value } : null;
}

export async function modelsOverview(repo: ModelRepository, src: OverviewSources = {}): Promise<ModelOverview[]> {
  const alias = src.alias ?? 'champion';
  const now = (src.now ?? new Date()).getTime();
  const out: ModelOverview[] = [];
  for (const name of await repo.names()) {
    const versions = await repo.list(name);
    const aliasFile = await repo.aliases(name);
    const championVersion = aliasFile.aliases[alias] ?? null;
    const moved = [...aliasFile.history].reverse().find((e) => e.alias === alias && e.to === championVersion);
    const champ = versions.find((v) => v.version === championVersion);
    const since = moved?.at ?? champ?.manifest.createdAt ?? null;
    const trained = versions.filter((v) => v.manifest.labels.trainRun || v.manifest.labels.verdict)
      .sort((a, b) => (a.manifest.createdAt < b.manifest.createdAt ? 1 : -1));
    const last = trained[0];
    out.push({
      name,
      versions: versions.length,
      champion: championVersion && since ? { version: championVersion, since, ageSeconds: Math.max(0, Math.round((now - Date.parse(since)) / 1000)) } : null,
      lastTraining: last ? {
        version: last.version, verdict: last.manifest.labels.verdict ?? 'unknown', createdAt: last.manifest.createdAt,
        trainRun: last.manifest.labels.trainRun ?? null, headline: headline(last),
      } : null,
      pendingApprovals: trained.filter((v) => v.manifest.labels.verdict === 'pending_approval' && v.version !== championVersion).map((v) => v.tag),
      drift: src.drift ? await src.drift(name) : null,
      triggers: src.triggers ? await src.triggers(name) : [],
    });
  }
  return out;
}

/** `3d 4h`, `5h 12m`, `42s`: an age for a table cell. */
export function formatAge(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  if (d) return `${d}d ${h}h`;
  if (h) return `${h}h ${m}m`;
  if (m) return `${m}m`;
  return `${seconds}s`;
}
