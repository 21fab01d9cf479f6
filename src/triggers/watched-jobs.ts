import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { OrtqError } from '../errors.js';
import { Promote } from '../kinds/train/spec-schema.js';
import { compileCron } from '../queue/scheduler/cron-time.js';
import type { WatchedJob } from './service.js';
import { GuardsSchema, nameTriggers, TriggerSchema, type TriggerConfig } from './spec.js';

/**
 * What the scheduler needs of a train job to serve its triggers: the
 * `triggers:` and `guards:` it declares (or that config/schedules.yaml gives
 * it), the model it trains, its champion and its train input. The whole job
 * is validated again by its kind each time it is enqueued.
 */
const TrainJobHead = z.object({
  kind: z.literal('train'),
  name: z.string().min(1),
  model: z.string().min(1),
  champion: z.string().min(1).optional(),
  alias: z.string().min(1).optional(),
  data: z.object({ train: z.object({ path: z.string().min(1) }).passthrough() }).passthrough(),
  triggers: z.array(TriggerSchema).default([]),
  guards: GuardsSchema.prefault({}),
  promote: Promote,
}).passthrough();

export const WatchEntrySchema = z.object({
  /** the train job file */
  job: z.string().min(1),
  /** triggers served in addition to those the job declares */
  triggers: z.array(TriggerSchema).default([]),
  /** guards that replace the job's own */
  guards: GuardsSchema.optional(),
}).strict();
export type WatchEntry = z.infer<typeof WatchEntrySchema>;

function problems(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

/** Loads one train job's head and its triggers; every problem is reported at start, not at the first firing. */
export async function loadWatchedJob(file: string, entry: Partial<WatchEntry> = {}, baseDir = process.cwd()): Promise<WatchedJob> {
  const path = resolve(baseDir, file);
  let raw: unknown;
  try {
    raw = parseYaml(await readFile(path, 'utf8'));
  } catch (err) {
    throw new OrtqError('ORTQ_CONFIG_INVALID', `cannot read train job ${path}: ${(err as Error).message}`, { file: path });
  }
  const head = TrainJobHead.safeParse(raw);
  if (!head.success) throw new OrtqError('ORTQ_CONFIG_INVALID', `${path} is not a train job with valid triggers: ${problems(head.error)}`, { file: path });
  const j = head.data;
  const all: TriggerConfig[] = [...j.triggers, ...(entry.triggers ?? [])];
  const triggers = nameTriggers(j.name, all);
  for (const t of triggers) {
    if ('cron' in t.config) {
      try {
        compileCron(t.config.cron, t.config.timezone);
      } catch (err) {
        throw new OrtqError('ORTQ_CONFIG_INVALID', `${path}: trigger ${t.name}: ${(err as Error).message}`, { file: path });
      }
    }
  }
  const names = new Set<string>();
  for (const t of triggers) {
    if (names.has(t.name)) throw new OrtqError('ORTQ_CONFIG_INVALID', `${path}: trigger name "${t.name}" is used twice`, { file: path });
    names.add(t.name);
  }
  return {
    name: j.name,
    file: path,
    model: j.model,
    alias: j.alias ?? 'champion',
    rollback: j.promote.rollback ?? null,
    champion: j.champion ?? `${j.model}@${j.alias ?? 'champion'}`,
    trainPath: resolve(baseDir, j.data.train.path),
    guards: entry.guards ?? j.guards,
    triggers,
  };
}
