import { loadConfig } from '../../../config.js';
import { OrtqError } from '../../../errors.js';
import { readJobFile } from '../../../kinds/job-file.js';
import { loadKind } from '../../../kinds/registry.js';
import { rootLogger } from '../../../logger.js';
import { ModelRepository } from '../../../repo/model-repository.js';
import { runJobLocally } from '../../../runs/local-runner.js';
import { printJson } from '../../output.js';
import { rowsProgress } from '../../progress.js';
import { runSummary } from '../../run-report.js';

export async function runJobCommand(jobFile: string, flags: { set: string[]; json?: boolean; force?: boolean; repo?: string; shardRows?: string; progress: boolean; requireBlessed?: boolean }): Promise<void> {
  const { readSpecFile } = await import('../../../kinds/train/spec.js');
  if ((await readSpecFile(jobFile, flags.set)).kind === 'train') {
    const { runTrainCommand } = await import('./train-action.js');
    await runTrainCommand(jobFile, flags);
    return;
  }
  const config = loadConfig();
  const spec = await readJobFile(jobFile, flags.set);
  const kind = await loadKind(spec.kind);
  const repo = ModelRepository.fromConfig(config, flags.repo);
  const shardRows = flags.shardRows ? Number(flags.shardRows) : config.queue.shardRows;
  if (!Number.isInteger(shardRows) || shardRows <= 0) throw new OrtqError('ORTQ_USAGE', `--shard-rows expects a positive integer, got "${flags.shardRows}"`);
  const bar = rowsProgress(flags.progress && !flags.json);
  const logger = rootLogger();
  let result;
  try {
    result = await runJobLocally(kind, spec, {
      config, repo, shardRows, force: flags.force, logger,
      onProgress: (done, total) => bar.update(done, total),
      onWarning: (w) => process.stderr.write(`warning ${w.code}: ${w.message}; redoing ${String((w.details?.steps as string[] | undefined)?.length ?? 0)} step(s)\n`),
    });
  } finally {
    bar.stop();
  }
  const { manifest, plan, reused } = result;
  if (flags.json) {
    printJson({ ...runSummary(manifest, plan.runDir, reused, kind), ...(result.repaired.length ? { repaired: result.repaired } : {}) });
    return;
  }
  const verb = reused ? 'already done' : 'completed';
  process.stdout.write(`run ${manifest.runId} ${verb}: ${kind.summary(manifest).text}\nresults: ${plan.runDir}\n`);
}
