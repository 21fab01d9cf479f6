import { Command, CommanderError } from 'commander';
import { ortqVersion } from '../version.js';
import { COMMANDS } from './commands/index.js';
import { CliContext } from './context.js';
import { reportError } from './report-error.js';

/**
 * The ortq CLI. Each command module only declares its flags; the work lives in
 * the library and is imported when the command runs, so `ortq --help` never
 * loads onnxruntime.
 */
export function buildProgram(ctx: CliContext = new CliContext()): Command {
  const program = new Command('ortq')
    .description('Batch inference for ONNX models on a Redis queue')
    .version(ortqVersion())
    .showHelpAfterError()
    .exitOverride()
    // settings every command depends on are checked before any runs (a wrong ORTQ_LOG_LEVEL is a coded error)
    .hook('preAction', async () => {
      (await import('../config.js')).logSettings();
    });
  for (const register of COMMANDS) register(program, ctx);
  return program;
}

export async function main(argv: string[], ctx: CliContext = new CliContext()): Promise<number> {
  const program = buildProgram(ctx);
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

// The one exit point of ortq. A command returns (or throws) and the process
// ends when its event loop drains; only a stopped service whose library
// handles keep the loop alive is ended here, after its grace.
const ctx = new CliContext();
const code = await main(process.argv, ctx);
process.exitCode = code;
if (ctx.drainDeadline) {
  const { ms, onExpiry } = ctx.drainDeadline;
  setTimeout(() => {
    onExpiry();
    process.exit(code);
  }, ms).unref();
}
