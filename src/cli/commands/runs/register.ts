import type { Command } from 'commander';

export function registerRuns(program: Command): void {
  const runs = program.command('runs').description('list and inspect runs (local and queued)');
  runs
    .command('list')
    .description('runs, newest first')
    .argument('[job]', 'only runs of this job name')
    .option('--json', 'print JSON')
    .option('--local', 'only this machine\'s ledger and the manifests on disk; do not ask Redis')
    .option('--queue', 'also every recent queued run Redis knows, wherever it was submitted')
    .option('--kind <kind>', 'only runs of this job kind (predict, train)')
    .action(async (job: string | undefined, flags: { json?: boolean; local?: boolean; queue?: boolean; kind?: string }) => {
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
  runs
    .command('verify')
    .description('re-hash every file of a finished run against its run.json (ORTQ_RUN_DAMAGED when one differs)')
    .argument('<runId>')
    .option('--json', 'print the report as JSON')
    .action(async (runId: string, flags: { json?: boolean }) => {
      const { verifyRunCommand } = await import('./view.js');
      await verifyRunCommand(runId, flags);
    });
}
