import { loadConfig } from '../../../config.js';
import { OrtqError } from '../../../errors.js';
import { rootLogger } from '../../../logger.js';
import { loadJobFile } from '../../../predict/job-spec.js';
import { runLocal } from '../../../predict/local-run.js';
import { ModelRepository } from '../../../repo/model-repository.js';
import { printJson } from '../../output.js';
import { rowsProgress } from '../../progress.js';
import { runSummary } from '../../run-report.js';

export async function runJobCommand(jobFile: string, flags: { set: string[]; json?: boolean; force?: boolean; repo?: string; shardRows?: string; progress: boolean }): Promise<void> {
  const config = loadConfig();
  const job = await loadJobFile(jobFile, flags.set);
  const repo = ModelRepository.fromConfig(config, flags.repo);
  const shardRows = flags.shardRows ? Number(flags.shardRows) : config.queue.shardRows;
  if (!Number.isInteger(shardRows) || shardRows <= 0) throw new OrtqError('ORTQ_USAGE', `--shard-rows expects a positive integer, got "${flags.shardRows}"`);
  const bar = rowsProgress(flags.progress && !flags.json);
  const logger = rootLogger();
  let result;
  try {
    result = await runLocal(job, {
      repo, inference: config.inference, shardRows, force: flags.force, logger,
      onProgress: (done, total) => bar.update(done, total),
    });
  } finally {
    bar.stop();
  }
  const { manifest, plan, reused } = result;
  if (flags.json) {
    printJson(runSummary(manifest, plan.runDir, reused));
    return;
  }
  const verb = reused ? 'already done' : 'completed';
  process.stdout.write(
    `run ${manifest.runId} ${verb}: ${manifest.rows.written} rows written` +
      (manifest.rows.skipped ? `, ${manifest.rows.skipped} skipped` : '') +
      ` (model ${manifest.model.tag}, ${manifest.rowsPerSecond} rows/s)\n` +
      `results: ${plan.runDir}\n`,
  );
}
