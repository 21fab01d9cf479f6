import { resolve } from 'node:path';
import { OrtqError, toOrtqError } from '../../errors.js';
import { readJobFile } from '../../kinds/job-file.js';
import type { WatchedJob } from '../../triggers/service.js';
import { loadWatchedJob, type WatchEntry } from '../../triggers/watched-jobs.js';

/**
 * Loads every train job the scheduler serves and validates it whole, by its
 * kind, at start: a missing file, an invalid spec or a cron expression
 * node-cron cannot honour is ORTQ_CONFIG_INVALID before anything is armed,
 * never a silent trigger that does not fire.
 */
export async function loadTriggerJobs(entries: WatchEntry[], baseDir = process.cwd()): Promise<WatchedJob[]> {
  const jobs: WatchedJob[] = [];
  const problems: string[] = [];
  for (const e of entries) {
    try {
      const job = await loadWatchedJob(e.job, e, baseDir);
      await readJobFile(job.file, [], { baseDir });
      jobs.push(job);
    } catch (err) {
      const x = toOrtqError(err);
      problems.push(x.code === 'ORTQ_CONFIG_INVALID' ? x.message : `${resolve(baseDir, e.job)}: ${x.code}: ${x.message}`);
    }
  }
  const names = new Set<string>();
  for (const j of jobs) {
    for (const t of j.triggers) {
      if (names.has(t.name)) problems.push(`trigger name "${t.name}" is used by two jobs`);
      names.add(t.name);
    }
  }
  if (problems.length) throw new OrtqError('ORTQ_CONFIG_INVALID', `cannot serve the triggers: ${problems.join('; ')}`, { problems });
  return jobs;
}
