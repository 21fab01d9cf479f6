import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { OrtqError } from '../../errors.js';
import { safeFieldPath } from '../../object-path.js';
import { WatchEntrySchema, type WatchEntry } from '../../triggers/watched-jobs.js';
import { compileCron, type CronSpec } from './cron-time.js';

const ScheduleSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, 'letters, digits, _ . - (no ":")'),
  cron: z.string().min(1),
  timezone: z.string().default('UTC'),
  job: z.string().min(1),
  /** job field overrides, like `--set`; values may use {{ date }} and the other tick variables */
  set: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
  /** skip a tick while the previous run of this schedule is queued or running */
  skipIfRunning: z.boolean().default(true),
  /** on start, enqueue up to this many ticks missed while no scheduler ran */
  catchUp: z.number().int().min(0).max(1000).default(0),
}).strict();

const FileSchema = z.object({
  schedules: z.array(ScheduleSchema).default([]),
  /** train jobs whose retraining triggers the scheduler serves (src/triggers) */
  triggers: z.array(WatchEntrySchema).default([]),
}).strict();

export type ScheduleConfig = z.infer<typeof ScheduleSchema>;
export interface Schedule extends ScheduleConfig { spec: CronSpec; jobFile: string }

/** Parses and checks a schedules file; every problem is reported at once with its path. */
export function parseSchedules(raw: unknown, baseDir: string, source = 'schedules'): Schedule[] {
  const parsed = FileSchema.safeParse(raw);
  const problems: string[] = parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  const out: Schedule[] = [];
  if (parsed.success) {
    const seen = new Set<string>();
    parsed.data.schedules.forEach((s, i) => {
      // an override that would reach Object.prototype is refused at load, not at the first tick
      for (const path of Object.keys(s.set)) safeFieldPath(path, `${source}: schedules.${i}.set "${path}"`);
      if (seen.has(s.name)) problems.push(`schedules.${i}.name: "${s.name}" is used twice`);
      seen.add(s.name);
      try {
        out.push({ ...s, spec: compileCron(s.cron, s.timezone), jobFile: resolve(baseDir, s.job) });
      } catch (err) {
        problems.push(`schedules.${i}: ${(err as Error).message}`);
      }
    });
  }
  if (problems.length) throw new OrtqError('ORTQ_CONFIG_INVALID', `invalid ${source}: ${problems.join('; ')}`);
  return out;
}

/** The `triggers:` entries of a schedules file (train jobs whose triggers the scheduler serves). */
export function parseTriggerEntries(raw: unknown, source = 'schedules'): WatchEntry[] {
  const parsed = FileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new OrtqError('ORTQ_CONFIG_INVALID', `invalid ${source}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  }
  return parsed.data.triggers;
}

export async function loadScheduleFile(file: string): Promise<{ schedules: Schedule[]; triggers: WatchEntry[] }> {
  const raw = await readScheduleYaml(file);
  // job paths are relative to the working directory, like the CLI's own arguments
  return { schedules: parseSchedules(raw, process.cwd(), file), triggers: parseTriggerEntries(raw, file) };
}

export async function loadSchedules(file: string): Promise<Schedule[]> {
  return (await loadScheduleFile(file)).schedules;
}

async function readScheduleYaml(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new OrtqError('ORTQ_CONFIG_INVALID', `cannot read schedules ${file}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new OrtqError('ORTQ_CONFIG_INVALID', `${file} is not valid YAML: ${(err as Error).message}`);
  }
  return raw;
}
