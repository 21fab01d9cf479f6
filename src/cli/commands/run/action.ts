import { loadConfig } from '../../../config.js';
import { OrtqError } from '../../../errors.js';
import { readJobFile } from '../../../kinds/job-file.js';
import { loadKind } from '../../../kinds/registry.js';
import { rootLogger } from '../../../logger.js';
import { ModelRepository } from '../../../repo/model-repository.js';
import { runJobLocally } from '../../../runs/local-runner.js';
import { printJson } from '../../output.js';
import { rowsProgress } from '../../progress.js';
import { requireBlessed, runDoneText, runSummary } from '../../run-report.js';

/**
 * `ortq run`: a job of any kind in this process (no Redis), through the run
 * core. A parallel kind (predict) shows a rows progress bar; a sequence kind
 * (train) names each step on stderr as it starts. A completed train run exits
 * 0 whatever its verdict; `--require-blessed` makes a rejected or pending
 * candidate exit 1.
 */
export async function runJobCommand(jobFile: string, flags: { set: string[]; json?: boolean; force?: boolean; repo?: string; shardRows?: string; progress: boolean; requireBlessed?: boolean }): Promise<void> {
  const config = loadConfig();
  const spec = await readJobFile(jobFile, flags.set);
  const kind = await loadKind(spec.kind);
  const repo = ModelRepository.fromConfig(config, flags.repo);
  const shardRows = flags.shardRows ? Number(flags.shardRows) : config.queue.shardRows;
  if (!Number.isInteger(shardRows) || shardRows <= 0) throw new OrtqError('ORTQ_USAGE', `--shard-rows expects a positive integer, got "${flags.shardRows}"`);
  const steps = kind.order === 'sequence';
  const bar = rowsProgress(flags.progress && !flags.json && !steps);
  const logger = rootLogger();
  let result;
  try {
    result = await runJobLocally(kind, spec, {
      config, repo, shardRows, force: flags.force, logger,
      onProgress: (done, total) => bar.update(done, total),
      ...(steps && !flags.json ? { onStep: (s) => { process.stderr.write(`${s.id}…\n`); } } : {}),
      onWarning: (w) => process.stderr.write(`warning ${w.code}: ${w.message}; redoing ${String((w.details?.steps as string[] | undefined)?.length ?? 0)} step(s)\n`),
    });
  } finally {
    bar.stop();
  }
  const { manifest, plan, reused } = result;
  if (flags.json) printJson({ ...runSummary(manifest, plan.runDir, reused, kind), ...(result.repaired.length ? { repaired: result.repaired } : {}) });
  else process.stdout.write(runDoneText(manifest, plan.runDir, reused ? 'already done' : 'completed', kind));
  if (flags.requireBlessed) requireBlessed(manifest, kind);
}
