import { loadConfig } from '../../../config.js';
import { rootLogger } from '../../../logger.js';
import { readPlan } from '../../../runs/store.js';
import { QueueClient } from '../../../queue/queue-client.js';
import { cancelRun, retryRun } from '../../../queue/run-admin.js';
import { printJson } from '../../output.js';
import { waitAndReport } from '../../run-report.js';
import { waitTimeoutMs } from '../../wait-options.js';

export async function retryCommand(runId: string, flags: { wait?: boolean; json?: boolean; timeout?: string }): Promise<void> {
  const config = loadConfig();
  const timeoutMs = waitTimeoutMs(flags.timeout);
  const qc = await QueueClient.open(config);
  try {
    const res = await retryRun(qc, runId, { config, logger: rootLogger() });
    if (flags.wait && res.shards.length) {
      const rec = await qc.store.get(runId);
      await waitAndReport(qc, await readPlan(rec!.runDir), { json: flags.json, progress: true, timeoutMs }, 'enqueued');
      return;
    }
    if (flags.json) printJson(res);
    else if (res.shards.length) process.stdout.write(`run ${runId}: ${res.shards.length} shard(s) re-enqueued (${res.shards.join(', ')})\n`);
    else process.stdout.write(`run ${runId}: every shard is done; finalizing only\n`);
  } catch (err) {
    throw qc.explain(err);
  } finally {
    await qc.close();
  }
}

export async function cancelCommand(runId: string, flags: { json?: boolean }): Promise<void> {
  const qc = await QueueClient.open(loadConfig());
  try {
    const res = await cancelRun(qc, runId);
    if (flags.json) printJson(res);
    else process.stdout.write(`run ${runId} cancelled (was ${res.previous})${res.removed ? '' : '; shards already running will finish'}\n`);
  } catch (err) {
    throw qc.explain(err);
  } finally {
    await qc.close();
  }
}
