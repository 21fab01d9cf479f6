import type { Command } from 'commander';

/** Adds `runs retry` and `runs cancel` (queued runs) to the `runs` command group. */
export function registerRunsQueue(program: Command): void {
  const runs = program.commands.find((c) => c.name() === 'runs') ?? program.command('runs').description('list and inspect runs (local and queued)');
  runs
    .command('retry')
    .description('re-enqueue only the shards of a queued run that failed or never ran')
    .argument('<runId>')
    .option('--wait', 'follow the run and exit with its status')
    .option('--timeout <duration>', 'with --wait: stop waiting after this long (e.g. 90s, 15m), exit non-zero with the run id and state')
    .option('--json', 'print JSON')
    .action(async (runId: string, flags: { wait?: boolean; json?: boolean; timeout?: string }) => {
      const { retryCommand } = await import('./queue-admin.js');
      await retryCommand(runId, flags);
    });
  runs
    .command('cancel')
    .description('cancel a queued run: waiting shards are removed, running ones finish, the run is not finalized')
    .argument('<runId>')
    .option('--json', 'print JSON')
    .action(async (runId: string, flags: { json?: boolean }) => {
      const { cancelCommand } = await import('./queue-admin.js');
      await cancelCommand(runId, flags);
    });
}
