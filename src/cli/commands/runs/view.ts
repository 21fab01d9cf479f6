import { loadConfig } from '../../../config.js';
import { OrtqError } from '../../../errors.js';
import { knownKinds } from '../../../kinds/registry.js';
import type { RemoteRunStates, RunRecord } from '../../../runs/ledger.js';
import { RunLedger } from '../../../runs/ledger.js';
import { readRunOutcome } from '../../../runs/store.js';
import { verifyRunDir } from '../../../runs/verify.js';
import { formatTable, printJson } from '../../output.js';

/**
 * The live state of queued runs from Redis, when it answers quickly; without
 * Redis the local ledger and the manifests on disk are enough.
 */
async function withRemote<T>(fn: (remote: RemoteRunStates | null) => Promise<T>): Promise<T> {
  const { QueueClient } = await import('../../../queue/queue-client.js');
  const { remoteRunStates } = await import('../../../queue/remote-states.js');
  const qc = await QueueClient.open(loadConfig(), { timeoutMs: 1000 }).catch(() => null);
  try {
    return await fn(qc ? remoteRunStates(qc.store) : null);
  } finally {
    await qc?.close();
  }
}

const unfinishedQueued = (r: RunRecord) => r.mode === 'queue' && (r.status === 'queued' || r.status === 'running');

/**
 * Runs from this machine's ledger, repaired from the manifests on disk. Redis
 * is asked only for queued runs still unfinished here (or with --queue,
 * for every recent queued run it knows, wherever it was submitted).
 */
export async function listRunsCommand(job: string | undefined, flags: { json?: boolean; local?: boolean; queue?: boolean; kind?: string }): Promise<void> {
  if (flags.kind !== undefined && !knownKinds().includes(flags.kind)) {
    throw new OrtqError('ORTQ_USAGE', `--kind: unknown job kind ${JSON.stringify(flags.kind)} (known: ${knownKinds().join(', ')})`, { known: knownKinds() });
  }
  const ledger = new RunLedger();
  let records = await ledger.list({ job });
  if (!flags.local && (flags.queue || records.some(unfinishedQueued))) {
    records = await withRemote((remote) => ledger.list({ job, remote, includeRemote: flags.queue }));
  }
  if (flags.kind !== undefined) records = records.filter((r) => (r.kind ?? 'predict') === flags.kind);
  if (flags.json) return printJson(records);
  const rows = records.map((r) => [r.runId, r.kind ?? 'predict', r.status, r.model || '-', String(r.rows), r.startedAt.replace('T', ' ').slice(0, 19), r.mode, r.summary ?? '-', r.runDir]);
  process.stdout.write(formatTable(['Run', 'Kind', 'Status', 'Model', 'Rows', 'Started', 'Mode', 'Result', 'Directory'], rows));
}

/** The run's manifest (finished or failed), or its ledger record while it has neither; always JSON. */
export async function showRunCommand(runId: string): Promise<void> {
  const ledger = new RunLedger();
  const local = await ledger.get(runId).catch((err) => { if ((err as OrtqError).code === 'ORTQ_INVALID_NAME') throw err; return null; });
  const record = local && !unfinishedQueued(local) ? local : await withRemote((remote) => ledger.get(runId, { remote }));
  printJson((await readRunOutcome(record.runDir)) ?? record);
}

/** `ortq runs verify RUNID`: re-hashes every file of a finished run against its manifest. */
export async function verifyRunCommand(runId: string, flags: { json?: boolean }): Promise<void> {
  const record = await new RunLedger().get(runId);
  const report = await verifyRunDir(record.runDir);
  if (flags.json) printJson(report);
  else if (report.ok) process.stdout.write(`run ${runId}: ${report.files} file(s), ${report.bytes} bytes, all match run.json\n`);
  if (!report.ok) {
    const list = report.problems.map((p) => `${p.path} ${p.problem}`).join('; ');
    throw new OrtqError('ORTQ_RUN_DAMAGED', `run ${runId} in ${record.runDir}: ${list} — run the job again to redo the damaged steps`, { runId, problems: report.problems });
  }
}
