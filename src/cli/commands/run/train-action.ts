import { loadConfig } from '../../../config.js';
import { rootLogger } from '../../../logger.js';
import { ModelRepository } from '../../../repo/model-repository.js';
import { printJson } from '../../output.js';

export interface TrainRunFlags { set: string[]; json?: boolean; force?: boolean; repo?: string; requireBlessed?: boolean }

/**
 * `ortq run` of a `kind: train` spec: trains, evaluates, registers and
 * promotes in this process (no Redis). A completed run exits 0 whatever its
 * verdict; `--require-blessed` makes a rejected or pending candidate exit 1.
 */
export async function runTrainCommand(jobFile: string, flags: TrainRunFlags): Promise<void> {
  const { loadTrainJobFile } = await import('../../../kinds/train/spec.js');
  const { runTrainLocal } = await import('../../../kinds/train/local-run.js');
  const { trainSummary, trainSummaryLine } = await import('../../../kinds/train/manifest.js');
  const config = loadConfig();
  const job = await loadTrainJobFile(jobFile, flags.set);
  const repo = ModelRepository.fromConfig(config, flags.repo);
  const logger = rootLogger();
  const { plan, manifest, reused } = await runTrainLocal(job, {
    repo, inference: config.inference, force: flags.force, logger,
    onStep: (step) => { if (!flags.json) process.stderr.write(`${step}…\n`); },
  });
  if (flags.json) printJson(trainSummary(manifest, { reused, runDir: plan.runDir }));
  else {
    process.stdout.write(`train run ${manifest.runId} ${reused ? 'already done' : 'completed'}: ${trainSummaryLine(manifest)}\n`);
    for (const r of manifest.reasons) process.stdout.write(`  ${r.pass ? 'pass' : 'FAIL'}  ${r.message}\n`);
    if (manifest.replay) {
      for (const line of manifest.replay.reasons) process.stdout.write(`  replay  ${line}\n`);
      for (const sk of manifest.replay.skipped) process.stdout.write(`  replay  skipped ${sk.runId}: ${sk.reason}\n`);
    }
  }
  if (flags.requireBlessed && manifest.verdict !== 'blessed') {
    process.stderr.write(`verdict is ${manifest.verdict}, not blessed (--require-blessed)\n`);
    process.exitCode = 1;
  }
}
