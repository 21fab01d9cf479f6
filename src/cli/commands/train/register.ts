import type { Command } from 'commander';

export function registerTrain(program: Command): void {
  const train = program.command('train').description('retraining by hand, through the same guards as the triggers');
  train
    .command('trigger')
    .description('fire a train job by hand: enqueues it with the reason as evidence, unless a guard (one training per model, cooldown, daily cap) suppresses it, which is recorded and exits non-zero')
    .argument('<job>', 'a train job file, or the name of a train job listed under triggers: in the schedules file')
    .requiredOption('--reason <text>', 'why: recorded as the firing\'s evidence, in the run manifest and the candidate\'s lineage')
    .option('--config <file>', 'the schedules file (its guards for the job, and job names)', 'config/schedules.yaml')
    .option('--repo <dir>', 'model repository (default: MODEL_REPO_PATH or ./.ortq/models)')
    .option('--json', 'print JSON')
    .action(async (job: string, flags: { reason: string; config: string; repo?: string; json?: boolean }) => {
      const { trainTriggerCommand } = await import('./action.js');
      await trainTriggerCommand(job, flags);
    });
}
