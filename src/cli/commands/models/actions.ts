import { stringify as toYaml } from 'yaml';
import { loadConfig } from '../../../config.js';
import { OrtqError } from '../../../errors.js';
import type { TensorInfo } from '../../../repo/manifest.js';
import { ModelRepository, type ModelSummary } from '../../../repo/model-repository.js';
import { generateSigningKeys } from '../../../repo/signing.js';
import { parseTag } from '../../../repo/tag.js';
import { confirmDeletion } from '../../confirm.js';
import { formatTable, printJson } from '../../output.js';

/** What `ortq models …` does, one function per command; register.ts only declares flags. */

interface RepoFlags { repo?: string; json?: boolean }

function openRepository(flags: RepoFlags): ModelRepository {
  return ModelRepository.fromConfig(loadConfig(), flags.repo);
}

/** Splits `key=value`; refuses a missing '=' or an empty key. */
export function parseKeyValue(flag: string, text: string): [string, string] {
  const i = text.indexOf('=');
  if (i <= 0) throw new OrtqError('ORTQ_USAGE', `--${flag} expects key=value, got "${text}"`);
  return [text.slice(0, i), text.slice(i + 1)];
}

/** Metadata values are JSON when they parse as JSON (0.97, true, {"auc":0.9}), text otherwise. */
export function parseMetadataValue(v: string): unknown {
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return v;
  }
}

function pairs<T>(flag: string, items: string[] | undefined, conv: (v: string) => T): Record<string, T> {
  const out: Record<string, T> = {};
  for (const item of items ?? []) {
    const [k, v] = parseKeyValue(flag, item);
    out[k] = conv(v);
  }
  return out;
}

export function humanSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

function localTime(iso: string): string {
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

function tensor(t: TensorInfo): string {
  return `${t.name}[${t.shape.map((d) => (d === null ? '?' : String(d))).join(',')}]`;
}

function summaryJson(s: ModelSummary): Record<string, unknown> {
  return { tag: s.tag, name: s.name, version: s.version, digest: s.digest, dir: s.dir, aliases: s.aliases, signed: s.signed, manifest: s.manifest };
}

export async function saveCommand(
  name: string,
  file: string,
  flags: RepoFlags & { version?: string; label?: string[]; metadata?: string[]; lineage?: string[]; alias?: string[]; attach?: string[] },
): Promise<void> {
  const repo = openRepository(flags);
  const manifest = await repo.save(name, file, {
    version: flags.version,
    labels: pairs('label', flags.label, String),
    metadata: pairs('metadata', flags.metadata, parseMetadataValue),
    lineage: pairs('lineage', flags.lineage, parseMetadataValue),
    aliases: flags.alias,
    attachments: flags.attach,
  });
  if (flags.json) printJson({ tag: `${manifest.name}:${manifest.version}`, manifest });
  else process.stdout.write(`${manifest.name}:${manifest.version}\n`);
}

export async function listCommand(name: string | undefined, flags: RepoFlags): Promise<void> {
  const repo = openRepository(flags);
  const rows = await repo.list(name);
  // verdict and headline metric of versions a training run registered
  const { verdictsOf } = await import('../../../kinds/train/verdicts.js');
  const verdicts = await verdictsOf(repo, rows);
  if (flags.json) {
    printJson(rows.map((s) => ({
      tag: s.tag, size: s.manifest.size, createdAt: s.manifest.createdAt, digest: s.digest,
      inputs: s.manifest.signature.inputs, outputs: s.manifest.signature.outputs, aliases: s.aliases, signed: s.signed,
      ...(verdicts.has(s.tag) ? verdicts.get(s.tag) : {}),
    })));
    return;
  }
  // Verdict and Metric columns only when a training run registered some version listed
  const trained = verdicts.size > 0;
  process.stdout.write(formatTable(
    ['Tag', 'Size', 'Created', 'Inputs → Outputs', 'Aliases', ...(trained ? ['Verdict', 'Metric'] : [])],
    rows.map((s) => [
      s.tag,
      humanSize(s.manifest.size),
      localTime(s.manifest.createdAt),
      `${s.manifest.signature.inputs.map(tensor).join(', ')} → ${s.manifest.signature.outputs.map(tensor).join(', ')}`,
      s.aliases.join(', '),
      ...(trained ? [verdicts.get(s.tag)?.verdict ?? '', verdicts.get(s.tag)?.headline ?? ''] : []),
    ]),
  ));
}

export async function getCommand(tag: string, flags: RepoFlags): Promise<void> {
  const s = await openRepository(flags).get(tag);
  if (flags.json) printJson(summaryJson(s));
  else process.stdout.write(toYaml(summaryJson(s)));
}

export async function aliasCommand(ref: string, version: string | undefined, flags: RepoFlags & { rollback?: boolean; history?: boolean }): Promise<void> {
  const repo = openRepository(flags);
  if (flags.history) {
    const name = parseTag(ref).name;
    const state = await repo.aliases(name);
    if (flags.json) printJson(state);
    else {
      process.stdout.write(formatTable(['Time', 'Alias', 'From', 'To', 'Action'], state.history.map((e) => [
        localTime(e.at), `${name}@${e.alias}`, e.from ?? '-', e.to ?? '-', e.action,
      ])));
    }
    return;
  }
  const t = parseTag(ref);
  if (t.kind !== 'alias') throw new OrtqError('ORTQ_USAGE', `expected NAME@ALIAS, got "${ref}"`);
  if (flags.rollback && version) throw new OrtqError('ORTQ_USAGE', 'give either a VERSION or --rollback, not both');
  if (!flags.rollback && !version) throw new OrtqError('ORTQ_USAGE', 'give the VERSION to point the alias at, or --rollback');
  const event = flags.rollback ? await repo.rollbackAlias(t.name, t.alias) : await repo.setAlias(t.name, t.alias, version!);
  if (flags.json) printJson({ ...event, alias: `${t.name}@${t.alias}` });
  else process.stdout.write(`${t.name}@${t.alias}: ${event.from ?? '(unset)'} → ${event.to ?? '(unset)'}\n`);
}

export async function deleteCommand(tag: string, flags: RepoFlags & { yes?: boolean; force?: boolean }): Promise<void> {
  const t = parseTag(tag);
  if (t.kind === 'latest' && !tag.endsWith(':latest')) {
    throw new OrtqError('ORTQ_USAGE', `"${tag}" names a model, not a version: give ${tag}:VERSION (or ${tag}:latest)`);
  }
  const repo = openRepository(flags);
  const r = await repo.resolve(tag);
  await confirmDeletion(r.tag, flags);
  const out = await repo.delete(r.tag, { force: flags.force });
  if (flags.json) printJson(out);
  else process.stdout.write(`deleted ${out.tag}${out.removedAliases.length ? ` (removed aliases: ${out.removedAliases.join(', ')})` : ''}\n`);
}

export async function pruneCommand(name: string, flags: RepoFlags & { keep: string; dryRun?: boolean; yes?: boolean }): Promise<void> {
  if (!/^\d+$/.test(flags.keep)) throw new OrtqError('ORTQ_USAGE', `--keep expects a whole number, got "${flags.keep}"`);
  const repo = openRepository(flags);
  const keep = Number(flags.keep);
  if (!flags.dryRun) {
    const planned = await repo.prune(name, { keep, dryRun: true });
    if (planned.deleted.length > 0) await confirmDeletion(`${planned.deleted.length} version(s) of ${name} (${planned.deleted.join(', ')})`, flags);
  }
  const out = await repo.prune(name, { keep, dryRun: flags.dryRun });
  if (flags.json) printJson({ ...out, dryRun: Boolean(flags.dryRun) });
  else {
    const verb = flags.dryRun ? 'would delete' : 'deleted';
    for (const tag of out.deleted) process.stdout.write(`${verb} ${tag}\n`);
    process.stdout.write(`kept ${out.kept.length}, ${verb} ${out.deleted.length}\n`);
  }
}

export async function exportCommand(tag: string, file: string, flags: RepoFlags): Promise<void> {
  const out = await openRepository(flags).exportArchive(tag, file);
  if (flags.json) printJson(out);
  else process.stdout.write(`exported ${out.tag} to ${out.file} (${humanSize(out.bytes)})\n`);
}

export async function importCommand(file: string, flags: RepoFlags): Promise<void> {
  const out = await openRepository(flags).importArchive(file);
  if (flags.json) printJson(out);
  else process.stdout.write(out.status === 'imported' ? `imported ${out.tag}\n` : `${out.tag} is already in the repository with the same content\n`);
}

export async function verifyCommand(tag: string | undefined, flags: RepoFlags): Promise<void> {
  const results = await openRepository(flags).verify(tag);
  if (flags.json) printJson(results);
  else {
    process.stdout.write(formatTable(['Tag', 'Status', 'Signature', 'Problems'], results.map((r) => [
      r.tag, r.ok ? 'ok' : 'FAILED', r.signature, r.problems.join('; '),
    ])));
  }
  const bad = results.filter((r) => !r.ok);
  if (bad.length > 0) {
    throw new OrtqError('ORTQ_MODEL_CORRUPT', `${bad.length} of ${results.length} versions failed verification: ${bad.map((r) => `${r.tag} (${r.problems[0]})`).join(', ')}`);
  }
}

export async function signCommand(tag: string, flags: RepoFlags & { key: string }): Promise<void> {
  const repo = openRepository(flags);
  const sig = await repo.sign(tag, flags.key);
  const r = await repo.resolve(tag);
  if (flags.json) printJson({ tag: r.tag, ...sig });
  else process.stdout.write(`signed ${r.tag} with key ${sig.keyId}\n`);
}

export async function keygenCommand(dir: string, flags: { json?: boolean }): Promise<void> {
  const out = await generateSigningKeys(dir);
  if (flags.json) printJson(out);
  else {
    process.stdout.write(`private key: ${out.privateKey} (keep it secret)\npublic key:  ${out.publicKey} (key id ${out.keyId})\n`);
    process.stdout.write(`trust it: add the public key path to repository.trust.publicKeys in config/default.yaml\n`);
  }
}
