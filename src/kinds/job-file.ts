import { readFile } from 'node:fs/promises';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { OrtqError } from '../errors.js';
import { applySets } from './spec-sets.js';
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
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new OrtqError('ORTQ_JOB_INVALID', `cannot read job file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { file });
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    const msg = err instanceof YAMLParseError ? err.message.split('\n')[0] : String(err);
    throw new OrtqError('ORTQ_JOB_INVALID', `${file}: not valid YAML: ${msg}`, { file });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new OrtqError('ORTQ_JOB_INVALID', `${file}: expected a mapping with kind, name and the kind's fields`, { file });
  }
  return parseJobSpec(applySets(raw as Record<string, unknown>, sets), { baseDir: opts.baseDir ?? process.cwd(), source: file });
}
