import type { Command } from 'commander';

export function registerTriggers(program: Command): void {
  const triggers = program.command('triggers').description('retraining triggers served by `ortq scheduler`');
  triggers
    .command('list')
    .description("each trigger's condition, last evaluation, last firing, next cron time, and recent events (suppressed ones with reasons)")
    .option('--config <file>', 'the schedules file that names the train jobs', 'config/schedules.yaml')
    .option('--events <n>', 'how many recent events to show', '20')
    .option('--json', 'print JSON')
    .action(async (flags: { config: string; events: string; json?: boolean }) => {
      const { triggersListCommand } = await import('./action.js');
      await triggersListCommand(flags);
    });
}
