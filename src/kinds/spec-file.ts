import { readFile } from 'node:fs/promises';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { OrtqError } from '../errors.js';
import { applySets } from './spec-sets.js';

/** Reads a YAML/JSON job file's mapping (any kind), with `--set` overrides applied; not yet validated. */
export async function readSpecFile(file: string, sets: string[] = []): Promise<Record<string, unknown>> {
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
  return applySets(raw as Record<string, unknown>, sets);
}
