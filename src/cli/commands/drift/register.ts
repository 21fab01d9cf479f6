import type { Command } from 'commander';

export function registerDrift(program: Command): void {
  program
    .command('drift')
    .description('drift of a model\'s recent prediction runs against its reference profile: PSI and Jensen–Shannon distance per input and output, most drifted first')
    .argument('<name>', 'model name')
    .option('--runs <n>', 'how many recent completed runs', '5')
    .option('--json', 'print JSON on stdout')
    .action(async (name: string, flags: { runs: string; json?: boolean }) => (await import('./action.js')).driftCommand(name, flags));
}
