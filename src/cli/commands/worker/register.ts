import type { Command } from 'commander';
import type { CliContext } from '../../context.js';
import type { WorkerFlags } from './action.js';

export function registerWorker(program: Command, ctx: CliContext): void {
  program
    .command('worker')
    .description('process queued shards until SIGTERM/SIGINT (inference in sandboxed child processes)')
    .option('--concurrency <n>', 'predict shards at once, each in its own process (default: config queue.workerConcurrency)')
    .option('--train-concurrency <n>', 'train steps at once, each in its own process (default: config worker.trainConcurrency, 1)')
    .option('--queues <list>', 'work queues to serve, comma-separated: predict,train (default: config worker.queues, predict)')
    .option('--repo <dir>', 'model repository (default: MODEL_REPO_PATH or ./.ortq/models)')
    .option('--grace <ms>', 'on shutdown, the time it may take in all, also with Redis unreachable: in-flight shards get most of it to finish, then are handed back (default: config queue.shutdownGraceMs)')
    .option('--lock-duration <ms>', 'a shard whose worker is silent this long goes to another worker (default 30000, env ORTQ_LOCK_DURATION_MS)')
    .option('--stalled-interval <ms>', 'how often stalled shards are looked for (default 30000, env ORTQ_STALLED_INTERVAL_MS)')
    .action(async (flags: WorkerFlags) => {
      const { workerCommand } = await import('./action.js');
      await workerCommand(flags, ctx);
    });
}
