import type { Command } from 'commander';
import type { CliContext } from '../../context.js';

export function registerScheduler(program: Command, ctx: CliContext): void {
  program
    .command('scheduler')
    .description('enqueue scheduled runs on cron ticks until SIGTERM/SIGINT; several schedulers enqueue each tick once')
    .option('--config <file>', 'schedules file', 'config/schedules.yaml')
    .option('--repo <dir>', 'model repository (default: MODEL_REPO_PATH or ./.ortq/models)')
    .action(async (flags: { config: string; repo?: string }) => {
      const { schedulerCommand } = await import('./action.js');
      await schedulerCommand(flags, ctx);
    });
}
