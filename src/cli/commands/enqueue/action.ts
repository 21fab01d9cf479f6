import { loadConfig, type OrtqConfig } from '../../../config.js';
import { OrtqError } from '../../../errors.js';
import { rootLogger } from '../../../logger.js';
import { readJobFile } from '../../../kinds/job-file.js';
import { enqueueJob } from '../../../queue/enqueue.js';
import { QueueClient } from '../../../queue/queue-client.js';
import { ModelRepository } from '../../../repo/model-repository.js';
import { runLayout } from '../../../runs/layout.js';
import { printJson } from '../../output.js';
import { loadKind } from '../../../kinds/registry.js';
import { pendingSummary, requireBlessed, runDoneText, runSummary, waitAndReport } from '../../run-report.js';
import { waitTimeoutMs } from '../../wait-options.js';

export interface EnqueueFlags { set: string[]; wait?: boolean; json?: boolean; force?: boolean; repo?: string; shardRows?: string; progress: boolean; timeout?: string; requireBlessed?: boolean }

export async function enqueueCommand(jobFile: string, flags: EnqueueFlags): Promise<void> {
  if (flags.requireBlessed && !flags.wait) throw new OrtqError('ORTQ_USAGE', '--require-blessed needs --wait: without it the verdict is not known yet');
  const config: Readonly<OrtqConfig> = loadConfig();
  const job = await readJobFile(jobFile, flags.set);
  const shardRows = flags.shardRows ? Number(flags.shardRows) : config.queue.shardRows;
  if (!Number.isInteger(shardRows) || shardRows <= 0) throw new OrtqError('ORTQ_USAGE', `--shard-rows expects a positive integer, got "${flags.shardRows}"`);
  const timeoutMs = waitTimeoutMs(flags.timeout);
  const repo = ModelRepository.fromConfig(config, flags.repo);
  const qc = await QueueClient.open(config);
  try {
    const res = await enqueueJob(qc, job, { config, repo, shardRows, force: flags.force, logger: rootLogger() });
    const { plan } = res;
    if (res.outcome === 'existing' && res.manifest) {
      const kind = await loadKind(res.manifest.kind);
      if (flags.json) printJson({ ...runSummary(res.manifest, plan.runDir, true, kind), outcome: res.outcome });
      else process.stdout.write(runDoneText(res.manifest, plan.runDir, 'already done', kind));
      if (flags.requireBlessed) requireBlessed(res.manifest, kind);
      return;
    }
    if (flags.wait) {
      const done = await waitAndReport(qc, plan, { ...flags, timeoutMs }, res.outcome);
      if (flags.requireBlessed) requireBlessed(done.manifest, done.kind);
      return;
    }
    if (flags.json) printJson(pendingSummary(plan, res.record, res.outcome));
    else if (res.outcome === 'enqueued') process.stdout.write(`run ${plan.runId} enqueued: ${res.shardsEnqueued} step(s)${plan.model ? ` (model ${plan.model.tag} ${plan.model.digest.slice(0, 19)})` : ''}\nfollow it with "ortq status"; results will be in ${runLayout.homeOf(plan.runDir, plan.runId)}\n`);
    else process.stdout.write(`run ${plan.runId} is already ${res.record?.status ?? 'queued'}; not enqueued again\n`);
  } catch (err) {
    throw qc.explain(err);
  } finally {
    await qc.close();
  }
}
