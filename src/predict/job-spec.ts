import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { OrtqError } from '../errors.js';
import { applySets } from '../kinds/spec-sets.js';
import type { PredictJob } from './types.js';

const JOB_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

const OutputOption = z.object({
  as: z.enum(['columns', 'list']).optional().describe('columns: one column per element (default); list: one list column'),
  rename: z.string().min(1).optional().describe('column name (or prefix) to use instead of the output name'),
}).strict();

/** The predict job schema: the single source for validation and the published JSON Schema. */
export const PredictJobSchema = z.object({
  kind: z.literal('predict').default('predict'),
  name: z.string().regex(JOB_NAME, 'lowercase letters, digits, ".", "_" or "-", at most 63 characters'),
  model: z.string().min(1).describe('name:version | name:latest | name@alias | name'),
  input: z.object({
    path: z.string().min(1).describe('a file, a directory or a glob; relative paths resolve against the current directory'),
    format: z.enum(['parquet', 'arrow', 'arrows', 'csv']).optional(),
  }).strict(),
  features: z.record(z.string(), z.array(z.string().min(1)).min(1))
    .refine((r) => Object.keys(r).length > 0, 'at least one model input')
    .describe('model input name -> columns, concatenated in order into [N, k]'),
  passthrough: z.array(z.string().min(1)).default([]),
  output: z.object({
    path: z.string().min(1).describe('a directory; each run is written under run=<runId>/'),
    format: z.enum(['parquet', 'arrow', 'csv']).default('parquet'),
  }).strict(),
  batchSize: z.number().int().positive().max(10_000_000).default(16384),
  nulls: z.union([z.enum(['error', 'skip']), z.object({ fill: z.number() }).strict()]).default('error'),
  outputs: z.record(z.string(), OutputOption).default({}),
}).strict();

/** JSON Schema for editors (`ortq schema job`). */
export function jobJsonSchema(): unknown {
  return z.toJSONSchema(PredictJobSchema, { io: 'input' });
}

export { applySets } from '../kinds/spec-sets.js';

function describeIssues(error: z.ZodError, source: string): string {
  return error.issues
    .map((i) => {
      const path = i.path.length ? i.path.join('.') : '(root)';
      return `${path}: ${i.message}`;
    })
    .join('; ')
    .replace(/^/, `${source}: `);
}

/**
 * Validates a raw job object and normalizes it: defaults filled, relative
 * paths resolved against `baseDir`. Every problem is reported at once.
 */
export function parseJob(raw: unknown, opts: { baseDir: string; source?: string }): PredictJob {
  const source = opts.source ?? 'job';
  const parsed = PredictJobSchema.safeParse(raw);
  if (!parsed.success) {
    throw new OrtqError('ORTQ_JOB_INVALID', describeIssues(parsed.error, source), {
      problems: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    });
  }
  const job = parsed.data;
  const problems: string[] = [];
  const featureCols = Object.values(job.features).flat();
  for (const col of job.passthrough) {
    if (job.features[col]) problems.push(`passthrough: "${col}" is also a model input name`);
  }
  if (new Set(featureCols).size !== featureCols.length) {
    // a column may feed two inputs; only duplicates within one input are suspicious
    for (const [input, cols] of Object.entries(job.features)) {
      if (new Set(cols).size !== cols.length) problems.push(`features.${input}: a column is listed twice`);
    }
  }
  if (problems.length) throw new OrtqError('ORTQ_JOB_INVALID', `${source}: ${problems.join('; ')}`);
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(opts.baseDir, p));
  return {
    ...job,
    kind: 'predict',
    input: { ...job.input, path: abs(job.input.path) },
    output: { ...job.output, path: abs(job.output.path) },
  } as PredictJob;
}

/**
 * Reads a job spec (YAML or JSON), applies `--set` overrides and validates it.
 * Relative paths in the spec resolve against the current directory, so that
 * `ortq run jobs/x.yaml` from the project root reads `data/...` from the root.
 */
export async function loadJobFile(file: string, sets: string[] = [], opts: { baseDir?: string } = {}): Promise<PredictJob> {
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
    throw new OrtqError('ORTQ_JOB_INVALID', `${file}: expected a mapping with kind, name, model, input, features, output`, { file });
  }
  const withSets = applySets(raw as Record<string, unknown>, sets);
  return parseJob(withSets, { baseDir: opts.baseDir ?? process.cwd(), source: file });
}

