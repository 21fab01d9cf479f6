import type { Command } from 'commander';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('create the demo model (iris@champion) and dataset if missing, then run jobs/iris-score.yaml locally')
    .option('--repo <dir>', 'model repository (default: MODEL_REPO_PATH or ./.ortq/models)')
    .option('--drift', 'also write data/demo/iris-shifted: the same rows with petals longer and wider, sepals longer (drifted data for the retraining loop in the README)')
    .option('--json', 'print the run summary as JSON')
    .action(async (flags: { repo?: string; json?: boolean; drift?: boolean }) => {
      const { demoCommand } = await import('./action.js');
      await demoCommand(flags);
    });
}
