import type { Command } from 'commander';
import { collect } from '../../output.js';

/**
 * `ortq models …`: declares flags only. The work is imported when a command
 * runs (./actions.ts), so `ortq --help` never loads onnxruntime.
 */
export function registerModels(program: Command): void {
  // Without positional options, the root's `-V, --version` would swallow
  // `ortq models save … --version V`: root options now count only before the command.
  program.enablePositionalOptions();
  const models = program
    .command('models')
    .description('the tagged model repository: save, list, alias, export and verify ONNX models');
  const repoFlag = '--repo <dir>';
  const repoHelp = 'model repository (default: MODEL_REPO_PATH or ./.ortq/models)';
  const cli = () => import('./actions.js');

  models
    .command('save')
    .description('store an ONNX file as a new immutable version; prints the new tag')
    .argument('<name>', 'model name: lowercase [a-z0-9][a-z0-9._-]*, at most 63 characters')
    .argument('<file>', 'the .onnx file (external-data side files are read from its folder)')
    .option('--version <version>', 'explicit version (default: generated, time-sortable and unique)')
    .option('--label <key=value>', 'a label (repeatable)', collect, [])
    .option('--metadata <key=value>', 'user metadata, value parsed as JSON when it can be, e.g. accuracy=0.97 (repeatable)', collect, [])
    .option('--lineage <key=value>', 'provenance, e.g. dataset=2026-11 (repeatable)', collect, [])
    .option('--alias <alias>', 'point NAME@ALIAS at the new version (repeatable)', collect, [])
    .option('--attach <file>', 'store a file with the version, e.g. a label map; pickles are refused (repeatable)', collect, [])
    .option(repoFlag, repoHelp)
    .option('--json', 'print the manifest as JSON on stdout')
    .action(async (name: string, file: string, flags) => (await cli()).saveCommand(name, file, flags));

  models
    .command('list')
    .description('table of stored versions: Tag, Size, Created, Inputs → Outputs, Aliases')
    .argument('[name]', 'only this model')
    .option(repoFlag, repoHelp)
    .option('--json', 'print JSON on stdout')
    .action(async (name: string | undefined, flags) => (await cli()).listCommand(name, flags));

  const train = () => import('./train-actions.js');
  models
    .command('approve')
    .description('bless a candidate a training run left pending approval and point the alias at it')
    .argument('<tag>', 'name:version of the pending candidate')
    .option('--alias <alias>', 'alias to move', 'champion')
    .option(repoFlag, repoHelp)
    .option('--json', 'print JSON on stdout')
    .action(async (tag: string, flags) => (await train()).approveCommand(tag, flags));

  models
    .command('reject')
    .description('reject a candidate a training run left pending approval')
    .argument('<tag>', 'name:version of the pending candidate')
    .requiredOption('--reason <text>', 'why it is rejected (kept with the verdict)')
    .option(repoFlag, repoHelp)
    .option('--json', 'print JSON on stdout')
    .action(async (tag: string, flags) => (await train()).rejectCommand(tag, flags));

  models
    .command('lineage')
    .description('the chain of parents of a trained version: data, trainer, metrics and verdicts')
    .argument('<tag>', 'name:version or name@alias')
    .option(repoFlag, repoHelp)
    .option('--json', 'print JSON on stdout')
    .action(async (tag: string, flags) => (await train()).lineageCommand(tag, flags));

  models
    .command('get')
    .description('show the manifest of one version')
    .argument('<tag>', 'name, name:version, name:latest or name@alias')
    .option(repoFlag, repoHelp)
    .option('--json', 'print JSON on stdout (default: YAML)')
    .action(async (tag: string, flags) => (await cli()).getCommand(tag, flags));

  models
    .command('alias')
    .description('move NAME@ALIAS to a version (atomic, recorded in the alias history), or roll it back')
    .argument('<name@alias>', 'e.g. iris@champion')
    .argument('[version]', 'version (or tag of the same model) to point at')
    .option('--rollback', 'point the alias back to where it was before its latest move')
    .option('--history', 'print the alias history of the model')
    .option(repoFlag, repoHelp)
    .option('--json', 'print JSON on stdout')
    .action(async (ref: string, version: string | undefined, flags) => (await cli()).aliasCommand(ref, version, flags));

  models
    .command('delete')
    .description('delete one version (refuses a version an alias points at unless --force)')
    .argument('<tag>', 'name:version, name:latest or name@alias')
    .option('-y, --yes', 'do not ask for confirmation (required when stdin is not a terminal)')
    .option('--force', 'delete even if aliases point at it (the aliases are removed)')
    .option(repoFlag, repoHelp)
    .option('--json', 'print JSON on stdout')
    .action(async (tag: string, flags) => (await cli()).deleteCommand(tag, flags));

  models
    .command('prune')
    .description('delete all but the newest N versions of a model; aliased versions are always kept')
    .argument('<name>', 'model name')
    .requiredOption('--keep <n>', 'how many of the newest versions to keep')
    .option('--dry-run', 'only report what would be deleted')
    .option('-y, --yes', 'do not ask for confirmation (required when stdin is not a terminal)')
    .option(repoFlag, repoHelp)
    .option('--json', 'print JSON on stdout')
    .action(async (name: string, flags) => (await cli()).pruneCommand(name, flags));

  models
    .command('export')
    .description('write one version (manifest + files) to a single deterministic tar file')
    .argument('<tag>', 'the version to export')
    .argument('<file>', 'archive to write, e.g. iris.ortq.tar')
    .option(repoFlag, repoHelp)
    .option('--json', 'print JSON on stdout')
    .action(async (tag: string, file: string, flags) => (await cli()).exportCommand(tag, file, flags));

  models
    .command('import')
    .description('add the version held in an archive, after checking every digest')
    .argument('<file>', 'archive written by "ortq models export"')
    .option(repoFlag, repoHelp)
    .option('--json', 'print JSON on stdout')
    .action(async (file: string, flags) => (await cli()).importCommand(file, flags));

  models
    .command('verify')
    .description('re-hash every stored file (and check signatures); exits 1 if any digest is off')
    .argument('[tag]', 'a tag or a model name (default: the whole repository)')
    .option(repoFlag, repoHelp)
    .option('--json', 'print JSON on stdout')
    .action(async (tag: string | undefined, flags) => (await cli()).verifyCommand(tag, flags));

  models
    .command('sign')
    .description('sign a version\'s manifest (which holds every file digest) with an Ed25519 private key')
    .argument('<tag>', 'the version to sign')
    .requiredOption('--key <pem>', 'Ed25519 private key (PEM), e.g. from "ortq models keygen"')
    .option(repoFlag, repoHelp)
    .option('--json', 'print JSON on stdout')
    .action(async (tag: string, flags) => (await cli()).signCommand(tag, flags));

  models
    .command('profile')
    .description('build the reference profile (profile.json) of a version from data and store it with the version, once; drift is measured against it')
    .argument('<tag>', 'name:version, name:latest or name@alias')
    .requiredOption('--data <path>', 'reference data: a file, a folder or a glob (Parquet, Arrow, CSV)')
    .option('--features <input=cols>', 'model input and the comma-separated columns that feed it, as in a job spec (repeatable; default: inputs named like columns, or every numeric column for a one-input model)', collect, [])
    .option('--bins <n>', 'quantile bins per numeric column (default: 10, deciles)')
    .option('--top-k <n>', 'categories kept per string column (default: 20)')
    .option(repoFlag, repoHelp)
    .option('--json', 'print the profile and its digest as JSON on stdout')
    .action(async (tag: string, flags) => (await import('./profile.js')).profileCommand(tag, flags));

  models
    .command('keygen')
    .description('write a new Ed25519 key pair: DIR/ortq-signing.pem and DIR/ortq-signing.pub.pem')
    .argument('<dir>', 'folder for the keys')
    .option('--json', 'print JSON on stdout')
    .action(async (dir: string, flags) => (await cli()).keygenCommand(dir, flags));
}
