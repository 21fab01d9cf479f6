import { z } from 'zod';
import { Duration } from './duration.js';

/**
 * The `triggers:` and `guards:` of a train job (or of an entry in
 * config/schedules.yaml). Each trigger decides *when* the job should run;
 * the guards decide whether a firing may go ahead.
 */

const Name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, 'letters, digits, _ . - (no ":")');

const CronTrigger = z.object({
  name: Name.optional(),
  cron: z.string().min(1),
  timezone: z.string().default('UTC'),
}).strict();

const DriftTrigger = z.object({
  name: Name.optional(),
  drift: z.object({
    stat: z.enum(['psi', 'js']).default('psi'),
    threshold: z.number().positive(),
    /** `any` or the feature names whose drift counts */
    features: z.union([z.literal('any'), z.array(z.string().min(1)).min(1)]).default('any'),
    /** also count prediction drift of these outputs (`any`, a list, or none) */
    outputs: z.union([z.literal('any'), z.literal('none'), z.array(z.string().min(1)).min(1)]).default('none'),
    /** fire after this many predict runs in a row drifted */
    consecutiveRuns: z.number().int().min(1).max(100).default(1),
    /** the model whose prediction runs are watched; default: the job's champion */
    model: z.string().min(1).optional(),
  }).strict(),
}).strict();

const NewDataTrigger = z.object({
  name: Name.optional(),
  newData: z.object({
    /** default: the job's train input */
    path: z.string().min(1).optional(),
    /** fire only when at least this many rows were added since the last firing */
    minNewRows: z.number().int().min(0).default(0),
  }).strict(),
}).strict();

export const TriggerSchema = z.union([CronTrigger, DriftTrigger, NewDataTrigger]);

export const GuardsSchema = z.object({
  /** no firing within this time after the previous one for the same model */
  cooldown: Duration.default(0),
  /** at most this many firings per model in any 24 hours */
  maxPerDay: z.number().int().min(1).default(24),
}).strict();

/**
 * `promote.rollback` of a train job: after an automatic promotion the first
 * `runs` prediction runs of the new champion are watched; when every one of
 * them shows prediction drift above a limit (vs the champion's own profile),
 * the alias rolls back (served by `ortq scheduler`, src/triggers/rollback-watch.ts).
 */
export const RollbackSchema = z.object({
  runs: z.number().int().min(1).max(100).default(3).describe('how many prediction runs after the promotion are watched'),
  maxDrift: z.object({
    psi: z.number().positive().optional(),
    js: z.number().positive().max(1).optional(),
  }).strict().refine((d) => d.psi !== undefined || d.js !== undefined, 'set psi, js or both')
    .describe('prediction drift (any output) above which a watched run counts as drifted'),
}).strict();

export type TriggerConfig = z.infer<typeof TriggerSchema>;
export type Guards = z.infer<typeof GuardsSchema>;
export type TriggerType = 'cron' | 'drift' | 'newData' | 'manual';

/** A trigger with its resolved name: `<job>.<type>` or `<job>.<type>-<n>` when a job has several of a type. */
export interface NamedTrigger {
  name: string;
  job: string;
  type: TriggerType;
  config: TriggerConfig;
}

export function triggerType(t: TriggerConfig): Exclude<TriggerType, 'manual'> {
  if ('cron' in t) return 'cron';
  if ('drift' in t) return 'drift';
  return 'newData';
}

export function nameTriggers(job: string, triggers: TriggerConfig[]): NamedTrigger[] {
  const counts = new Map<string, number>();
  for (const t of triggers) counts.set(triggerType(t), (counts.get(triggerType(t)) ?? 0) + 1);
  const seen = new Map<string, number>();
  return triggers.map((config) => {
    const type = triggerType(config);
    const n = (seen.get(type) ?? 0) + 1;
    seen.set(type, n);
    const name = config.name ?? (counts.get(type)! > 1 ? `${job}.${type}-${n}` : `${job}.${type}`);
    return { name, job, type, config };
  });
}
