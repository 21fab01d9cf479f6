import { OrtqError } from '../../../errors.js';
import { driftHistory, driftRows } from '../../../monitor/drift-history.js';
import { formatTable, printJson } from '../../output.js';

function cell(v: { psi: number | null; js: number | null } | null): string {
  if (!v || v.psi === null) return '-';
  return `${v.psi.toFixed(3)} / ${v.js === null ? '-' : v.js.toFixed(3)}`;
}

/** `ortq drift NAME [--runs N] [--json]` */
export async function driftCommand(name: string, flags: { runs: string; json?: boolean }): Promise<void> {
  const runs = Number(flags.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new OrtqError('ORTQ_USAGE', `--runs must be a whole number ≥ 1, got "${flags.runs}"`);
  const entries = await driftHistory(name, runs);
  const rows = driftRows(entries);
  if (flags.json) {
    printJson({ model: name, runs: entries, columns: rows });
    return;
  }
  if (entries.length === 0) {
    process.stdout.write(`no completed prediction runs of ${name} — run "ortq runs list"\n`);
    return;
  }
  for (const e of entries) {
    if (e.drift?.status !== 'computed') process.stdout.write(`run ${e.runId} (${e.model}): no drift — ${e.drift?.reason ?? 'the run predates drift monitoring'}\n`);
  }
  if (rows.length === 0) return;
  const header = ['Section', 'Column', ...entries.map((e) => `${e.runId} PSI / JS`)];
  process.stdout.write(formatTable(header, rows.map((r) => [r.section === 'features' ? 'input' : 'output', r.column, ...r.values.map(cell)])));
}
