import type { Command } from 'commander';
import { collect } from '../../output.js';
import type { EnqueueFlags } from './action.js';

export function registerEnqueue(program: Command): void {
  program
    .command('enqueue')
    .description('put a predict job on the Redis queue as one run of shards; the same run is never enqueued twice')
    .argument('<job>', 'job spec file (YAML), e.g. jobs/demo.yaml')
    .option('--set <path=value>', 'override a job field, e.g. --set input.path=data/x.parquet (repeatable)', collect, [])
    .option('--wait', 'follow the run with a progress bar and exit with its status')
    .option('--timeout <duration>', 'with --wait: stop waiting after this long (e.g. 90s, 15m) and exit non-zero with the run id and state; the run goes on')
    .option('--force', 'recompute even if this exact run already finished')
    .option('--repo <dir>', 'model repository (default: MODEL_REPO_PATH or ./.ortq/models)')
    .option('--shard-rows <n>', 'target rows per shard (default: config queue.shardRows)')
    .option('--no-progress', 'no progress bar with --wait')
    .option('--require-blessed', 'with --wait, train jobs: exit 1 when the candidate is rejected or pending approval')
    .option('--json', 'print a JSON run summary on stdout (as `ortq run --json`)')
    .action(async (jobFile: string, flags: EnqueueFlags) => {
      const { enqueueCommand } = await import('./action.js');
      await enqueueCommand(jobFile, flags);
    });
}
