import { loadConfig } from '../../../config.js';
import { OrtqError } from '../../../errors.js';
import { profileFromData } from '../../../monitor/profile-data.js';
import type { ColumnProfile } from '../../../monitor/profile.js';
import { ModelRepository } from '../../../repo/model-repository.js';
import { formatTable, printJson } from '../../output.js';

export interface ProfileFlags {
  data: string;
  features?: string[];
  bins?: string;
  topK?: string;
  repo?: string;
  json?: boolean;
}

/** `--features input=a,b,c` (repeatable) → { input: [a, b, c] } */
export function parseFeatureFlags(items: string[] | undefined): Record<string, string[]> | undefined {
  if (!items || items.length === 0) return undefined;
  const out: Record<string, string[]> = {};
  for (const item of items) {
    const i = item.indexOf('=');
    const cols = i > 0 ? item.slice(i + 1).split(',').map((c) => c.trim()).filter(Boolean) : [];
    if (i <= 0 || cols.length === 0) throw new OrtqError('ORTQ_USAGE', `--features expects INPUT=COL[,COL…], got "${item}"`);
    out[item.slice(0, i)] = cols;
  }
  return out;
}

function wholeNumber(flag: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new OrtqError('ORTQ_USAGE', `--${flag} must be a whole number ≥ ${min}, got "${v}"`);
  return n;
}

function describe(c: ColumnProfile): string {
  if (c.kind === 'numeric') return `${c.counts.length} bins, min ${c.min ?? '-'}, max ${c.max ?? '-'}`;
  return `${c.categories.length} categories + other`;
}

/** `ortq models profile TAG --data PATH`: builds profile.json from data and stores it with the version. */
export async function profileCommand(tag: string, flags: ProfileFlags): Promise<void> {
  const config = loadConfig();
  const repo = ModelRepository.fromConfig(config, flags.repo);
  const settings = { ...(flags.bins ? { bins: wholeNumber('bins', flags.bins, 2) } : {}), ...(flags.topK ? { topK: wholeNumber('top-k', flags.topK, 1) } : {}) };
  const profile = await profileFromData({ repo, model: tag, data: flags.data, features: parseFeatureFlags(flags.features), settings, inference: config.inference });
  const stored = await repo.attachProfile(`${profile.model!.name}:${profile.model!.version}`, profile);
  if (flags.json) {
    printJson({ tag: `${profile.model!.name}:${profile.model!.version}`, digest: stored.digest, profile });
    return;
  }
  const rows = [
    ...Object.entries(profile.features).map(([n, c]) => ['input', n, c.kind, (c.nullRate * 100).toFixed(1) + '%', describe(c)]),
    ...Object.entries(profile.outputs).map(([n, c]) => ['output', n, c.kind, (c.nullRate * 100).toFixed(1) + '%', describe(c)]),
  ];
  process.stdout.write(formatTable(['Section', 'Column', 'Kind', 'Null', 'Bins'], rows));
  process.stdout.write(`profiled ${profile.source.rows} rows from ${profile.source.files.length} file(s); stored ${profile.model!.name}:${profile.model!.version}/profile.json (${stored.digest})\n`);
}
