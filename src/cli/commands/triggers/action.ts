import { loadConfig } from '../../../config.js';
import { OrtqError } from '../../../errors.js';
import { QueueClient } from '../../../queue/queue-client.js';
import { loadScheduleFile } from '../../../queue/scheduler/schedules.js';
import { triggersReport } from '../../../triggers/report.js';
import { TriggerStore } from '../../../triggers/store.js';
import { loadWatchedJob } from '../../../triggers/watched-jobs.js';
import { formatTable, printJson } from '../../output.js';

export async function triggersListCommand(flags: { config: string; events: string; json?: boolean }): Promise<void> {
  const events = Number(flags.events);
  if (!Number.isInteger(events) || events < 0) throw new OrtqError('ORTQ_USAGE', `--events expects a non-negative integer, got "${flags.events}"`);
  const { triggers: entries } = await loadScheduleFile(flags.config);
  const jobs = await Promise.all(entries.map((e) => loadWatchedJob(e.job, e)));
  const qc = await QueueClient.open(loadConfig());
  try {
    const report = await triggersReport(new TriggerStore(qc.redis, qc.conn.prefix), jobs, { events });
    if (flags.json) {
      printJson(report);
      return;
    }
    const out: string[] = [];
    out.push(report.triggers.length
      ? formatTable(['trigger', 'model', 'condition', 'last evaluated', 'last result', 'last fired', 'last run', 'next'],
        report.triggers.map((t) => [t.trigger, t.model, t.condition, t.lastEvaluatedAt ?? '-', t.lastSummary ?? '-', t.lastFiredAt ?? '-', t.lastRunId ?? '-', t.next ?? '-']))
      : `no triggers: list train jobs under "triggers:" in ${flags.config}\n`);
    if (report.events.length) {
      out.push('\nrecent events:\n' + formatTable(['at', 'trigger', 'outcome', 'run', 'reason'],
        report.events.map((e) => [e.at, e.trigger, e.outcome, e.runId ?? '-', e.reason ?? ''])));
    }
    if (report.pending.length) out.push(`\n${report.pending.length} firing(s) pending enqueue (re-driven when a scheduler starts)\n`);
    process.stdout.write(out.join(''));
  } finally {
    await qc.close();
  }
}
