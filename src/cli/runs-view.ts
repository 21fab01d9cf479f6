import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { getRunRecord, listRunRecords } from '../predict/run-ledger.js';
import { readRunManifest } from '../predict/run-store.js';
import { formatTable, printJson } from './output.js';

export async function listRunsCommand(job: string | undefined, flags: { json?: boolean }): Promise<void> {
  const records = await listRunRecords(job);
  if (flags.json) return printJson(records);
  const rows = records.map((r) => [r.runId, r.status, r.model, String(r.rows), r.startedAt.replace('T', ' ').slice(0, 19), r.mode, r.runDir]);
  process.stdout.write(formatTable(['Run', 'Status', 'Model', 'Rows', 'Started', 'Mode', 'Directory'], rows));
}

export async function showRunCommand(runId: string, flags: { json?: boolean }): Promise<void> {
  const record = await getRunRecord(runId);
  const manifest = (await readRunManifest(record.runDir))
    ?? JSON.parse(await readFile(join(record.runDir, '_failed.json'), 'utf8').catch(() => 'null'))
    ?? record;
  if (flags.json) return printJson(manifest);
  process.stdout.write(`${JSON.stringify(manifest, null, 2)}\n`);
}
