import type { Command } from 'commander';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('create the demo model (iris@champion) and dataset if missing, then run jobs/iris-score.yaml locally')
    .option('--repo <dir>', 'model repository (default: MODEL_REPO_PATH or ./.ortq/models)')
    .option('--json', 'print the run summary as JSON')
    .action(async (flags: { repo?: string; json?: boolean }) => {
      const { loadConfig } = await import('../../config.js');
      const { ModelRepository } = await import('../../repo/model-repository.js');
      const { ensureDemoData, ensureDemoModel, demoPaths } = await import('../../demo.js');
      const { runJobCommand } = await import('../run-job.js');
      const repo = ModelRepository.fromConfig(loadConfig(), flags.repo);
      const paths = demoPaths();
      const tag = await ensureDemoModel(repo, paths.tmp);
      await ensureDemoData(paths.data);
      if (!flags.json) process.stderr.write(`demo model ${tag} in ${repo.root}; data in ${paths.data}\n`);
      await runJobCommand(paths.job, { set: [], json: flags.json, repo: flags.repo, progress: true });
    });
}
