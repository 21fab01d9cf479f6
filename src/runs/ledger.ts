import { readFile, readdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { OrtqError } from '../errors.js';
import { writeJsonAtomic } from '../fs/atomic.js';
import type { RunManifestBase, RunMode, RunStatus } from '../kinds/types.js';
import { ortqHome } from '../config.js';
import { runLayout } from './layout.js';
import { assertRunId } from './run-id.js';
import { readJsonIfExists, readRunManifest } from './store.js';

/**
 * The run ledger: one small JSON record a run under `$ORTQ_HOME/runs/`, so
 * `ortq runs list` finds runs of every job without scanning output
 * directories. RunLedger is its only writer. The manifest in the run
 * directory is the truth: a record that disagrees with it is repaired when
 * read. Queued runs' live state is in Redis (RemoteRunStates), read where the
 * run was submitted as well as where it ran.
 */
export interface RunRecord {
  runId: string;
  kind: string;
  job: string;
  status: RunStatus;
  /** the run's final `run=<id>` directory */
  runDir: string;
  model: string;
  digest: string;
  rows: number;
  startedAt: string;
  finishedAt?: string;
  mode: RunMode;
  /** the process running a local run, to tell a live run from an interrupted one */
  host?: string;
  pid?: number;
  /** the kind's one-line summary of a finished run (a train run: candidate, verdict, metric, promotion) */
  summary?: string;
  /** a queued run's progress */
  progress?: { stepsDone: number; steps: number; rowsDone: number; totalRows: number | null };
}

/** Live state of queued runs, from whoever tracks them (the Redis run store). */
export interface RemoteRunStates {
  get(runIds: string[]): Promise<Map<string, Partial<RunRecord>>>;
  /** recent runs the remote knows, for machines that did not submit them */
  recent?(limit: number): Promise<RunRecord[]>;
}

const SAFE_NAME = /^[a-z0-9][a-z0-9._-]{0,127}$/;
const FINAL: ReadonlySet<RunStatus> = new Set(['completed', 'failed', 'cancelled']);

export function ledgerDir(home: string = ortqHome()): string {
  return resolve(home, 'runs');
}

export class RunLedger {
  constructor(readonly dir: string = ledgerDir()) {}

  /** Writes a run's record (whole, atomically). */
  async record(rec: RunRecord): Promise<void> {
    await writeJsonAtomic(join(this.dir, `${assertRunId(rec.runId)}.json`), rec);
  }

  /**
   * Records a run from its manifest (finished or failed). `model`: what the
   * record names when the manifest pins no model (a train run: the model it
   * trains, JobKind.recordModel).
   */
  async recordManifest(m: RunManifestBase, runDir: string, opts: { model?: string } = {}): Promise<void> {
    const rec = recordFromManifest(m, runLayout.homeOf(runDir, m.runId));
    await this.record({ ...rec, model: rec.model || opts.model || '' });
  }

  /** Records a run as running (local, this process) or queued. */
  async recordStart(r: { runId: string; kind: string; job: string; runDir: string; model?: string; digest?: string; mode: RunMode; status?: RunStatus }): Promise<void> {
    await this.record({
      runId: r.runId, kind: r.kind, job: r.job, status: r.status ?? (r.mode === 'local' ? 'running' : 'queued'), runDir: runLayout.homeOf(r.runDir, r.runId),
      model: r.model ?? '', digest: r.digest ?? '', rows: 0, startedAt: new Date().toISOString(), mode: r.mode,
      ...(r.mode === 'local' ? { host: hostname(), pid: process.pid } : {}),
    });
  }

  async raw(runId: string): Promise<RunRecord | null> {
    // a name that cannot be a file here is refused before it becomes a path; any other unknown id is not found
    if (!SAFE_NAME.test(runId)) throw new OrtqError('ORTQ_INVALID_NAME', `"${runId}" is not a run id (see "ortq runs list")`);
    return readJsonIfExists<RunRecord>(join(this.dir, `${runId}.json`));
  }

  async list(opts: { job?: string; remote?: RemoteRunStates | null; includeRemote?: boolean } = {}): Promise<RunRecord[]> {
    let names: string[] = [];
    try {
      names = await readdir(this.dir);
    } catch {
      names = [];
    }
    const recs: RunRecord[] = [];
    for (const n of names) {
      if (!n.endsWith('.json') || n.startsWith('.')) continue;
      try {
        recs.push(JSON.parse(await readFile(join(this.dir, n), 'utf8')) as RunRecord);
      } catch {
        // a record being replaced; skip it
      }
    }
    if (opts.includeRemote && opts.remote?.recent) {
      const known = new Set(recs.map((r) => r.runId));
      for (const r of await opts.remote.recent(200).catch(() => [])) if (!known.has(r.runId)) recs.push(r);
    }
    const out = await this.refresh(recs.filter((r) => !opts.job || r.job === opts.job), opts.remote ?? null);
    return out.sort((a, b) => (a.startedAt < b.startedAt ? 1 : -1));
  }

  async get(runId: string, opts: { remote?: RemoteRunStates | null } = {}): Promise<RunRecord> {
    let rec = await this.raw(runId);
    if (!rec && opts.remote) rec = (await opts.remote.get([runId]).catch(() => new Map())).get(runId) as RunRecord | undefined ?? null;
    if (!rec || !rec.runDir) throw new OrtqError('ORTQ_RUN_NOT_FOUND', `no run "${runId}" in ${this.dir} — run "ortq runs list"`, { runId });
    return (await this.refresh([rec], opts.remote ?? null))[0];
  }

  /** Repairs records from the manifests on disk and the remote states; writes repairs back (best effort). */
  private async refresh(recs: RunRecord[], remote: RemoteRunStates | null): Promise<RunRecord[]> {
    const queued = recs.filter((r) => r.mode === 'queue' && !FINAL.has(r.status)).map((r) => r.runId);
    const live = remote && queued.length ? await remote.get(queued).catch(() => new Map<string, Partial<RunRecord>>()) : new Map<string, Partial<RunRecord>>();
    return Promise.all(recs.map(async (r) => {
      if (r.status !== 'completed' && r.status !== 'cancelled') {
        // the manifest is the truth: a kill between run.json and the ledger leaves the record behind
        const m = await readRunManifest(r.runDir).catch(() => null);
        if (m && m.runId === r.runId && m.status === 'completed') {
          const rebuilt = recordFromManifest(m, r.runDir);
          const next = { ...rebuilt, model: rebuilt.model || r.model };
          await this.record(next).catch(() => undefined);
          return next;
        }
      }
      const l = live.get(r.runId);
      if (l) return { ...r, ...l, runDir: r.runDir } as RunRecord;
      if (r.status === 'running' && r.mode === 'local' && r.host === hostname() && r.pid && !pidAlive(r.pid)) return { ...r, status: 'interrupted' as const };
      return r;
    }));
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function recordFromManifest(m: RunManifestBase, runDir: string): RunRecord {
  return {
    runId: m.runId, kind: m.kind ?? 'predict', job: m.job.name, status: m.status, runDir, model: m.model?.tag ?? '', digest: m.model?.digest ?? '',
    rows: m.rows.written, startedAt: m.startedAt, finishedAt: m.finishedAt, mode: m.mode,
    ...(m.summary ? { summary: m.summary } : {}),
  };
}
