import type { Command } from 'commander';

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('queue counts, connected workers, runs in progress, recent failures, rows/s')
    .option('--json', 'print JSON')
    .option('--runs <n>', 'how many recent runs to show', '10')
    .action(async (flags: { json?: boolean; runs: string }) => {
      const { statusCommand } = await import('./action.js');
      await statusCommand(flags);
    });
}
