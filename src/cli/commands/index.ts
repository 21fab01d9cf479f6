import type { Command } from 'commander';
import { registerDemo } from './demo.js';
import { registerModels } from './models.js';
import { registerRun } from './run.js';
import { registerRuns } from './runs.js';

/** Every CLI command registers its flags here; its work is imported lazily. */
export const COMMANDS: Array<(program: Command) => void> = [
  registerRun,
  registerRuns,
  registerDemo,
  registerModels,
];
