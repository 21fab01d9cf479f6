import { loadConfig } from '../../../config.js';
import { OrtqError } from '../../../errors.js';
import { QueueClient } from '../../../queue/queue-client.js';
import { queueStatus } from '../../../queue/status.js';
import { formatTable, printJson } from '../../output.js';
import { formatModelsStatus, modelsStatus } from './models.js';

export async function statusCommand(flags: { json?: boolean; runs: string }): Promise<void> {
  const runs = Number(flags.runs);
  if (!Number.isInteger(runs) || runs <= 0) throw new OrtqError('ORTQ_USAGE', `--runs expects a positive integer, got "${flags.runs}"`);
  const config = loadConfig();
  const qc = await QueueClient.open(config);
  try {
    const s = await queueStatus(qc, { runs });
    const models = await modelsStatus(qc, config);
    if (flags.json) {
      printJson({ ...s, models });
      return;
    }
    const out: string[] = [`redis ${s.redis} (prefix ${s.prefix}) — ${s.workers.length} worker(s) connected, ${s.rowsPerSecond.lastMinute} rows/s last minute, ${s.rowsPerSecond.last5Minutes} rows/s last 5 minutes\n`];
    out.push(formatTable(['queue', 'waiting', 'active', 'delayed', 'children', 'completed', 'failed', 'workers'],
      s.queues.map((q) => [q.name, q.counts.waiting, q.counts.active, q.counts.delayed, q.counts.waitingChildren, q.counts.completed, q.counts.failed, q.workers].map(String))));
    if (s.runs.length) {
      out.push('\n' + formatTable(['run', 'kind', 'status', 'job', 'model', 'steps', 'rows', 'progress', 'result'],
        s.runs.map((r) => [r.runId, r.kind, r.status, r.jobName, r.model || '-', `${r.shardsDone}/${r.shards}${r.shardsFailed ? ` (${r.shardsFailed} failed)` : ''}`,
          `${r.rowsDone}${r.totalRows !== null ? `/${r.totalRows}` : ''}`, r.percent === null ? '-' : `${r.percent}%`, r.summary ?? '-'])));
    }
    if (s.failures.length) {
      out.push('\nrecent failures:\n' + s.failures.map((f) => `  ${f.jobId} ${f.code}: ${f.message}`).join('\n') + '\n');
    }
    out.push(formatModelsStatus(models));
    process.stdout.write(out.join(''));
  } catch (err) {
    throw qc.explain(err);
  } finally {
    await qc.close();
  }
}
