import type { Command } from 'commander';
import type { CliContext } from '../../context.js';

export function registerScheduler(program: Command, ctx: CliContext): void {
  program
    .command('scheduler')
    .description('enqueue scheduled runs on cron ticks and serve retraining triggers (drift, new data, cron) and the rollback watch until SIGTERM/SIGINT; several schedulers fire each event once')
    .option('--config <file>', 'schedules file (schedules: and the train jobs under triggers:)', 'config/schedules.yaml')
    .option('--repo <dir>', 'model repository (default: MODEL_REPO_PATH or ./.ortq/models)')
    .option('--poll <duration>', 'how often drift and new-data triggers and the rollback watch are evaluated', '30s')
    .action(async (flags: { config: string; repo?: string; poll: string }) => {
      const { schedulerCommand } = await import('./action.js');
      await schedulerCommand(flags, ctx);
    });
}
