import { loadConfig } from '../../../config.js';
import { demoPaths, ensureDemoData, ensureDemoModel, ensureDemoTrainingData } from '../../../demo.js';
import { ModelRepository } from '../../../repo/model-repository.js';
import { runJobCommand } from '../run/action.js';

/** Creates the demo model and data when missing (with `drift`, the shifted copy too), then scores the demo job locally. */
export async function demoCommand(flags: { repo?: string; json?: boolean; drift?: boolean }): Promise<void> {
  const repo = ModelRepository.fromConfig(loadConfig(), flags.repo);
  const paths = demoPaths();
  const tag = await ensureDemoModel(repo, paths.tmp);
  await ensureDemoData(paths.data);
  // a labelled split for jobs/iris-retrain.yaml (`ortq run jobs/iris-retrain.yaml`)
  await ensureDemoTrainingData(paths.training);
  // the drifted copy for the README's retraining loop (`--set input.path=data/demo/iris-shifted/`)
  if (flags.drift) await ensureDemoData(paths.shifted, { shifted: true });
  if (!flags.json) process.stderr.write(`demo model ${tag} in ${repo.root}; data in ${paths.data}${flags.drift ? `, drifted copy in ${paths.shifted}` : ''}\n`);
  await runJobCommand(paths.job, { set: [], json: flags.json, repo: flags.repo, progress: true });
}
