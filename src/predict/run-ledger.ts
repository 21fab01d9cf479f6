import { readFile, readdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { ortqHome } from '../config.js';
import { writeJsonAtomic } from '../fs/atomic.js';
import { OrtqError } from '../errors.js';
import type { RunManifest, RunStatus } from './types.js';

/**
 * An index of runs on this machine (or shared storage): one small JSON file a
 * run under `$ORTQ_HOME/runs/` (default ./.ortq/runs), so `ortq runs list`
 * finds runs of every job without scanning output directories. The manifests
 * in the run directories stay the source of truth.
 */
export interface RunRecord {
  runId: string;
  job: string;
  status: RunStatus;
  runDir: string;
  model: string;
  digest: string;
  rows: number;
  startedAt: string;
  finishedAt?: string;
  mode: 'local' | 'queue';
  /** the process that ran a local run, to tell a live run from an interrupted one */
  host?: string;
  pid?: number;
}

/** A local run recorded as running whose process on this host is gone was interrupted (killed). */
function withLiveness(r: RunRecord): RunRecord {
  if (r.status !== 'running' || r.mode !== 'local' || r.host !== hostname() || !r.pid) return r;
  try {
    process.kill(r.pid, 0);
    return r;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH' ? { ...r, status: 'interrupted' } : r;
  }
}

export { ortqHome };

export function ledgerDir(): string {
  return resolve(ortqHome(), 'runs');
}

export async function writeRunRecord(record: RunRecord): Promise<void> {
  await writeJsonAtomic(join(ledgerDir(), `${record.runId}.json`), record);
}

export async function recordRun(m: RunManifest, runDir: string): Promise<void> {
  await writeRunRecord({
    runId: m.runId, job: m.job.name, status: m.status, runDir, model: m.model.tag, digest: m.model.digest,
    rows: m.rows.written, startedAt: m.startedAt, finishedAt: m.finishedAt, mode: m.mode,
  });
}

export async function listRunRecords(job?: string): Promise<RunRecord[]> {
  let names: string[];
  try {
    names = await readdir(ledgerDir());
  } catch {
    return [];
  }
  const out: RunRecord[] = [];
  for (const n of names) {
    if (!n.endsWith('.json') || n.startsWith('.')) continue;
    try {
      const r = JSON.parse(await readFile(join(ledgerDir(), n), 'utf8')) as RunRecord;
      if (!job || r.job === job) out.push(withLiveness(r));
    } catch {
      // a record being replaced; skip it
    }
  }
  return out.sort((a, b) => (a.startedAt < b.startedAt ? 1 : -1));
}

export async function getRunRecord(runId: string): Promise<RunRecord> {
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(runId)) throw new OrtqError('ORTQ_INVALID_NAME', `"${runId}" is not a run id`);
  try {
    return withLiveness(JSON.parse(await readFile(join(ledgerDir(), `${runId}.json`), 'utf8')) as RunRecord);
  } catch {
    throw new OrtqError('ORTQ_RUN_NOT_FOUND', `no run "${runId}" in ${ledgerDir()} — run "ortq runs list"`);
  }
}
