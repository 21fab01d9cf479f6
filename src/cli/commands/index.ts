import type { Command } from 'commander';

/** Every CLI command registers its flags here; its work is imported lazily. */
export const COMMANDS: Array<(program: Command) => void> = [];
