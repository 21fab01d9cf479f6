import { readSpecFile } from './spec-file.js';
import { loadKind } from './registry.js';
import type { JobSpecBase } from './types.js';

/**
 * Validates a raw job object of any kind: `kind:` (default `predict`) picks
 * the kind from the registry, which validates and normalizes the rest. An
 * unknown kind is ORTQ_JOB_INVALID listing the known kinds.
 */
export async function parseJobSpec(raw: Record<string, unknown>, opts: { baseDir: string; source?: string }): Promise<JobSpecBase> {
  const source = opts.source ?? 'job';
  const kind = await loadKind(raw.kind ?? 'predict', source);
  return kind.parseSpec(raw, { baseDir: opts.baseDir, source });
}

/**
 * Reads a job spec of any kind (YAML or JSON), applies `--set` overrides and
 * validates it. Relative paths resolve against `baseDir` (default: the
 * current directory), so `ortq run jobs/x.yaml` reads `data/...` from where
 * it is run.
 */
export async function readJobFile(file: string, sets: string[] = [], opts: { baseDir?: string } = {}): Promise<JobSpecBase> {
  return parseJobSpec(await readSpecFile(file, sets), { baseDir: opts.baseDir ?? process.cwd(), source: file });
}
