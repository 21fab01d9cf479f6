import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { registerDashboard } from './dashboard/register.js';
import { registerDemo } from './demo/register.js';
import { registerDrift } from './drift/register.js';
import { registerEnqueue } from './enqueue/register.js';
import { registerModels } from './models/register.js';
import { registerRun } from './run/register.js';
import { registerRunsQueue } from './runs/register-queue.js';
import { registerRuns } from './runs/register.js';
import { registerScheduler } from './scheduler/register.js';
import { registerStatus } from './status/register.js';
import { registerTrain } from './train/register.js';
import { registerTriggers } from './triggers/register.js';
import { registerWorker } from './worker/register.js';

/**
 * Every CLI command: `commands/<name>/register.ts` declares its flags and
 * imports its action (the work) only when the command runs.
 */
export const COMMANDS: Array<(program: Command, ctx: CliContext) => void> = [
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
  registerTriggers,
  registerTrain,
  registerDrift,
];
