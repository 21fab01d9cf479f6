import { Command, CommanderError } from 'commander';
import { ortqVersion } from '../version.js';
import { COMMANDS } from './commands/index.js';
import { reportError } from './report-error.js';

/**
 * The ortq CLI. Each command module only declares its flags; the work lives in
 * the library and is imported when the command runs, so `ortq --help` never
 * loads onnxruntime.
 */
export function buildProgram(): Command {
  const program = new Command('ortq')
    .description('Batch inference for ONNX models on a Redis queue')
    .version(ortqVersion())
    .showHelpAfterError()
    .exitOverride();
  for (const register of COMMANDS) register(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version "errors" are normal exits; commander already printed the text
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return 2;
    }
    return reportError(err);
  }
}

const code = await main(process.argv);
process.exitCode = code;
