import type { Command } from 'commander';

export function registerDashboard(program: Command): void {
  program
    .command('dashboard')
    .description('web dashboard of the queues (bull-board), with /metrics and /healthz, until SIGTERM/SIGINT')
    .option('--port <n>', 'port to listen on (0: any free port)', '3000')
    .option('--host <addr>', 'address to bind; the dashboard has no authentication', '127.0.0.1')
    .option('--allow-actions', 'enable retry/clean/promote/pause buttons (read-only without it)')
    .action(async (flags: { port: string; host: string; allowActions?: boolean }) => {
      const { dashboardCommand } = await import('./action.js');
      await dashboardCommand(flags);
    });
}
