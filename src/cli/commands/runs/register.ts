import type { Command } from 'commander';

export function registerRuns(program: Command): void {
  const runs = program.command('runs').description('list and inspect runs (local and queued)');
  runs
    .command('list')
    .description('runs, newest first')
    .argument('[job]', 'only runs of this job name')
    .option('--json', 'print JSON')
    .action(async (job: string | undefined, flags: { json?: boolean }) => {
      const { listRunsCommand } = await import('./view.js');
      await listRunsCommand(job, flags);
    });
  runs
    .command('show')
    .description('the manifest of one run')
    .argument('<runId>')
    .option('--json', 'print JSON (the default: a manifest is JSON)')
    .action(async (runId: string) => {
      const { showRunCommand } = await import('./view.js');
      await showRunCommand(runId);
    });
}
