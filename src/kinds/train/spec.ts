import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { OrtqError } from '../../errors.js';
import { parseTag } from '../../repo/tag.js';
import { metricInfo } from './metric-catalog.js';
import { TrainJobSchema } from './spec-schema.js';
import { loadBuiltinTrainer } from './trainers/builtin.js';
import { BUILTIN_TRAINERS } from './trainers/catalog.js';
import { isCommandTrainer, type TrainJob } from './types.js';

export { TrainJobSchema };

/** JSON Schema of a train job, for editors and docs/job.schema.json. */
export function trainJobJsonSchema(): unknown {
  return z.toJSONSchema(TrainJobSchema, { io: 'input' });
}

function invalid(source: string, problems: string[]): OrtqError {
  return new OrtqError('ORTQ_JOB_INVALID', `${source}: ${problems.join('; ')}`, { problems });
}

/** Cross-field rules the schema cannot say: thresholds vs metrics vs task, promotion, names. */
function crossCheck(job: TrainJob): string[] {
  const problems: string[] = [];
  for (const m of job.evaluate.metrics) {
    const info = metricInfo(m)!;
    if (info.task !== job.task) problems.push(`evaluate.metrics: "${m}" is a ${info.task} metric but task is ${job.task}`);
  }
  if (new Set(job.evaluate.metrics).size !== job.evaluate.metrics.length) problems.push('evaluate.metrics: a metric is listed twice');
  for (const [m, t] of Object.entries(job.evaluate.thresholds)) {
    const info = metricInfo(m);
    if (!info) problems.push(`evaluate.thresholds.${m}: no such metric`);
    else if (info.task !== job.task) problems.push(`evaluate.thresholds.${m}: a ${info.task} metric does not fit task ${job.task}`);
    else if (!job.evaluate.metrics.includes(m as never)) problems.push(`evaluate.thresholds.${m}: not listed in evaluate.metrics`);
    if (t.min !== undefined && t.max !== undefined && t.min > t.max) problems.push(`evaluate.thresholds.${m}: min ${t.min} is above max ${t.max}`);
  }
  if (job.promote.mode === 'auto' && Object.keys(job.evaluate.thresholds).length === 0) {
    problems.push('promote: auto needs at least one evaluate.thresholds entry (or use promote: manual)');
  }
  if (job.promote.mode !== 'auto') {
    if (job.promote.replay) problems.push(`promote.replay: replay gates automatic promotions; promote.mode is ${job.promote.mode}`);
    if (job.promote.rollback) problems.push(`promote.rollback: rollback watches automatic promotions; promote.mode is ${job.promote.mode}`);
  }
  if (job.promote.replay?.maxShift.flipRate !== undefined && job.task !== 'classification') {
    problems.push('promote.replay.maxShift.flipRate: label flips need task: classification (use psi)');
  }
  if (job.champion !== undefined) {
    try {
      const t = parseTag(job.champion);
      if (t.name !== job.model) problems.push(`champion: "${job.champion}" is not a version of model "${job.model}"`);
    } catch (err) {
      problems.push(`champion: ${(err as Error).message}`);
    }
  }
  const featureCols = Object.values(job.features).flat();
  for (const [input, cols] of Object.entries(job.features)) {
    if (new Set(cols).size !== cols.length) problems.push(`features.${input}: a column is listed twice`);
  }
  if (featureCols.includes(job.label)) problems.push(`label: "${job.label}" is also a feature column`);
  for (const s of job.evaluate.slices) if (s === job.label) problems.push(`evaluate.slices: "${s}" is the label`);
  if (!isCommandTrainer(job.trainer) && Object.keys(job.features).length !== 1) {
    problems.push('features: a built-in trainer takes exactly one model input');
  }
  return problems;
}

/**
 * Validates a raw train spec and normalizes it: defaults filled, relative paths
 * (data, trainer.files, and command arguments naming one of those files)
 * resolved against `baseDir`. Every problem is reported at once.
 */
export function parseTrainJob(raw: unknown, opts: { baseDir: string; source?: string }): TrainJob {
  const source = opts.source ?? 'job';
  const parsed = TrainJobSchema.safeParse(raw);
  if (!parsed.success) {
    throw invalid(source, parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`));
  }
  const job = parsed.data as TrainJob;
  const problems = crossCheck(job);
  if (problems.length) throw invalid(source, problems);
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(opts.baseDir, p));
  const data = {
    train: { ...job.data.train, path: abs(job.data.train.path) },
    eval: 'path' in job.data.eval ? { ...job.data.eval, path: abs(job.data.eval.path) } : job.data.eval,
  };
  let trainer = job.trainer;
  if (isCommandTrainer(trainer)) {
    const files = trainer.files;
    trainer = { ...trainer, files: files.map(abs), command: trainer.command.map((a) => (files.includes(a) ? abs(a) : a)) };
  }
  return { ...job, data, trainer };
}

/** Fills the built-in trainer's hyperparameter defaults; an unknown or bad one is ORTQ_JOB_INVALID naming it. */
export async function checkHyperparameters(job: TrainJob, opts: { source?: string } = {}): Promise<TrainJob> {
  if (isCommandTrainer(job.trainer)) return job;
  const trainer = await loadBuiltinTrainer(job.trainer.builtin);
  if (!trainer.tasks.includes(job.task)) {
    throw invalid(opts.source ?? 'job', [`trainer.builtin: "${trainer.name}" does not do ${job.task} (it does ${trainer.tasks.join(', ')})`]);
  }
  try {
    return { ...job, hyperparameters: trainer.hyperparameters(job.hyperparameters) };
  } catch (err) {
    if (err instanceof OrtqError && err.code === 'ORTQ_JOB_INVALID') {
      throw new OrtqError('ORTQ_JOB_INVALID', `${opts.source ?? 'job'}: hyperparameters: ${err.message}`, err.details);
    }
    throw err;
  }
}

/** checkHyperparameters for the built-in trainers shipped with ortq, synchronously (the kind's parseSpec). */
export function checkBuiltinHyperparameters(job: TrainJob, source = 'job'): TrainJob {
  if (isCommandTrainer(job.trainer)) return job;
  const trainer = BUILTIN_TRAINERS[job.trainer.builtin];
  if (!trainer.tasks.includes(job.task)) throw invalid(source, [`trainer.builtin: "${trainer.name}" does not do ${job.task} (it does ${trainer.tasks.join(', ')})`]);
  try {
    return { ...job, hyperparameters: trainer.hyperparameters(job.hyperparameters) };
  } catch (err) {
    if (err instanceof OrtqError && err.code === 'ORTQ_JOB_INVALID') throw new OrtqError('ORTQ_JOB_INVALID', `${source}: hyperparameters: ${err.message}`, err.details);
    throw err;
  }
}
