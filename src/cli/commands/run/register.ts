import type { Command } from 'commander';
import { collect } from '../../output.js';

interface RunFlags { set: string[]; json?: boolean; force?: boolean; repo?: string; shardRows?: string; progress: boolean; requireBlessed?: boolean }

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run a predict or train job in this process (no Redis); an identical finished run is reported, not redone')
    .argument('<job>', 'job spec file (YAML), e.g. jobs/demo.yaml')
    .option('--set <path=value>', 'override a job field, e.g. --set output.format=csv (repeatable)', collect, [])
    .option('--force', 'recompute even if this exact run already finished')
    .option('--repo <dir>', 'model repository (default: MODEL_REPO_PATH or ./.ortq/models)')
    .option('--shard-rows <n>', 'target rows per part file (default: config queue.shardRows)')
    .option('--no-progress', 'no progress bar')
    .option('--require-blessed', 'train jobs: exit 1 when the candidate is rejected or pending approval')
    .option('--json', 'print a JSON run summary on stdout')
    .action(async (jobFile: string, flags: RunFlags) => {
      const { runJobCommand } = await import('./action.js');
      await runJobCommand(jobFile, flags);
    });
}
