import type { Command } from 'commander';

export function registerScheduler(program: Command): void {
  program
    .command('scheduler')
    .description('enqueue scheduled runs on cron ticks until SIGTERM/SIGINT; several schedulers enqueue each tick once')
    .option('--config <file>', 'schedules file', 'config/schedules.yaml')
    .option('--repo <dir>', 'model repository (default: MODEL_REPO_PATH or ./.ortq/models)')
    .action(async (flags: { config: string; repo?: string }) => {
      const { schedulerCommand } = await import('../../queue/cli/scheduler-command.js');
      await schedulerCommand(flags);
    });
}
