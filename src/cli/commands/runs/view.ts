import { getRunRecord, listRunRecords } from '../../../predict/run-ledger.js';
import { readRunOutcome } from '../../../predict/run-store.js';
import { formatTable, printJson } from '../../output.js';

export async function listRunsCommand(job: string | undefined, flags: { json?: boolean }): Promise<void> {
  const records = await listRunRecords(job);
  if (flags.json) return printJson(records);
  const rows = records.map((r) => [r.runId, r.status, r.model, String(r.rows), r.startedAt.replace('T', ' ').slice(0, 19), r.mode, r.runDir]);
  process.stdout.write(formatTable(['Run', 'Status', 'Model', 'Rows', 'Started', 'Mode', 'Directory'], rows));
}

/** The run's manifest (finished or failed), or its ledger record while it has neither; always JSON. */
export async function showRunCommand(runId: string): Promise<void> {
  const record = await getRunRecord(runId);
  printJson((await readRunOutcome(record.runDir)) ?? record);
}
