import type { Command } from 'commander';
import { registerDemo } from './demo.js';
import { registerModels } from './models.js';
import { registerRun } from './run.js';
import { registerRuns } from './runs.js';
import { registerEnqueue } from './enqueue.js';
import { registerWorker } from './worker.js';
import { registerStatus } from './status.js';
import { registerRunsQueue } from './runs-queue.js';
import { registerScheduler } from './scheduler.js';
import { registerDashboard } from './dashboard.js';

/** Every CLI command registers its flags here; its work is imported lazily. */
export const COMMANDS: Array<(program: Command) => void> = [
  registerRun,
  registerRuns,
  registerRunsQueue,
  registerEnqueue,
  registerWorker,
  registerStatus,
  registerScheduler,
  registerDashboard,
  registerDemo,
  registerModels,
];
