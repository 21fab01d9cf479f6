import type { KeyObject } from 'node:crypto';
import { mkdir, readFile, readdir, rename } from 'node:fs/promises';
import { join, resolve as resolvePath } from 'node:path';
import type { OrtqConfig } from '../config.js';
import { OrtqError } from '../errors.js';
import { writeJsonAtomic } from '../fs/atomic.js';
import { rootLogger, type Logger } from '../logger.js';
import { aliasesOf, AliasStore, compareAndMove, moveAlias, rollbackTarget, type AliasEvent, type AliasFile } from './aliases.js';
import { digestBytes, digestFile, prefixed } from './digests.js';
import { listFiles } from './files.js';
import { MANIFEST_FILE, MODEL_FILE, SIGNATURE_FILE, type FileDigest, type ModelManifest, type ResolvedModel } from './manifest.js';
import type { ReferenceProfile } from '../monitor/profile.js';
import { attachVersionProfile, readVersionProfile, type StoredProfile } from './profiles.js';
import { buildVersionDir, newTempDir, publishDir, removeQuietly } from './save.js';
import { loadPrivateKey, loadPublicKey, signatureProblem, signManifest, type SignatureFile } from './signing.js';
import { assertValidSegment, formatTag, generateVersion, isValidSegment, parseTag } from './tag.js';

export type { ModelManifest, TensorInfo, OnnxFacts, FileDigest, ResolvedModel } from './manifest.js';

export interface TrustPolicy {
  /** Refuse to load a model without a valid signature from one of `publicKeys`. @defaultValue false */
  requireSignature: boolean;
  /** Ed25519 public keys: PEM text or paths to PEM files. */
  publicKeys: string[];
}


export interface LoadedModel {
  model: ResolvedModel;
  /** The scoring ONNX bytes, verified against the manifest. */
  bytes: Uint8Array;
}

export interface SaveOptions {
  /** An explicit version; generated (time-sortable, unique) when left out. */
  version?: string;
  labels?: Record<string, string>;
  metadata?: Record<string, unknown>;
  lineage?: Record<string, unknown>;
  /** Aliases to point at the new version once it is in place. */
  aliases?: string[];
  /** Files stored with the version under attachments/ (pickles are refused). */
  attachments?: string[];
  /** A reference profile stored as profile.json, covered by the manifest's digests. */
  profile?: ReferenceProfile;
}

export interface ModelSummary extends ResolvedModel {
  aliases: string[];
  signed: boolean;
}

export interface VerifyResult {
  tag: string;
  ok: boolean;
  problems: string[];
  /** 'valid' | 'unsigned' | 'invalid: <reason>' | 'not checked' (no trusted keys configured) */
  signature: string;
}

export interface PruneResult {
  kept: string[];
  deleted: string[];
}

/**
 * The tagged model store: `<root>/<name>/<version>/` with model.onnx,
 * manifest.json, original.onnx (when ortq rewrote the graph), external-data
 * side files and attachments. Versions are immutable; aliases move.
 */
export class ModelRepository {
  readonly root: string;
  private readonly displayRoot: string;
  private readonly trust: TrustPolicy;
  private readonly logger: Logger;

  constructor(opts: { root: string; trust?: TrustPolicy; logger?: Logger }) {
    this.displayRoot = opts.root;
    this.root = resolvePath(opts.root);
    this.trust = opts.trust ?? { requireSignature: false, publicKeys: [] };
    this.logger = (opts.logger ?? rootLogger()).child({ component: 'model-repository' });
  }

  /** `--repo` wins over config.repository.path (which already folds in MODEL_REPO_PATH). */
  static fromConfig(config: OrtqConfig, repoOverride?: string): ModelRepository {
    return new ModelRepository({
      root: repoOverride ?? config.repository.path,
      trust: { requireSignature: config.repository.trust.requireSignature, publicKeys: [...config.repository.trust.publicKeys] },
    });
  }

  private nameDir(name: string): string {
    return join(this.root, name);
  }

  private notFound(what: string): OrtqError {
    return new OrtqError('ORTQ_MODEL_NOT_FOUND', `no model "${what}" in ${this.displayRoot} — run "ortq models list"`, { tag: what, repo: this.displayRoot });
  }

  private async readManifest(dir: string, tag: string): Promise<{ manifest: ModelManifest; bytes: Buffer }> {
    let bytes: Buffer;
    try {
      bytes = await readFile(join(dir, MANIFEST_FILE));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw this.notFound(tag);
      throw err;
    }
    try {
      return { manifest: JSON.parse(bytes.toString('utf8')) as ModelManifest, bytes };
    } catch (err) {
      throw new OrtqError('ORTQ_MODEL_CORRUPT', `${tag}: ${MANIFEST_FILE} is not valid JSON: ${(err as Error).message}`, { tag, file: MANIFEST_FILE });
    }
  }

  private async resolveVersion(name: string, version: string): Promise<ResolvedModel> {
    const dir = join(this.nameDir(name), version);
    const tag = `${name}:${version}`;
    const { manifest } = await this.readManifest(dir, tag);
    if (manifest.name !== name || manifest.version !== version) {
      throw new OrtqError('ORTQ_MODEL_CORRUPT', `${tag}: manifest names ${manifest.name}:${manifest.version}`, { tag });
    }
    return { name, version, tag, digest: manifest.digest, dir, manifest };
  }

  /** Every stored version of `name`, oldest first (by createdAt, then version). */
  async versions(name: string): Promise<ResolvedModel[]> {
    assertValidSegment('name', name);
    let entries: string[];
    try {
      entries = (await readdir(this.nameDir(name), { withFileTypes: true })).filter((e) => e.isDirectory() && isValidSegment(e.name)).map((e) => e.name);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
      throw err;
    }
    const out: ResolvedModel[] = [];
    for (const v of entries) {
      try {
        out.push(await this.resolveVersion(name, v));
      } catch (err) {
        if (err instanceof OrtqError && err.code === 'ORTQ_MODEL_NOT_FOUND') continue; // not a version folder
        throw err;
      }
    }
    return out.sort((a, b) => a.manifest.createdAt.localeCompare(b.manifest.createdAt) || a.version.localeCompare(b.version));
  }

  /** Model names in the repository, sorted. */
  async names(): Promise<string[]> {
    try {
      const ents = await readdir(this.root, { withFileTypes: true });
      return ents.filter((e) => e.isDirectory() && isValidSegment(e.name)).map((e) => e.name).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  /** Resolves `name`, `name:version`, `name:latest` or `name@alias` to one stored version. */
  async resolve(tag: string): Promise<ResolvedModel> {
    const t = parseTag(tag);
    if (t.kind === 'version') return this.resolveVersion(t.name, t.version);
    if (t.kind === 'alias') {
      const { aliases } = await new AliasStore(this.nameDir(t.name)).read();
      const version = aliases[t.alias];
      if (!version) throw this.notFound(formatTag(t));
      return this.resolveVersion(t.name, version);
    }
    const all = await this.versions(t.name);
    if (all.length === 0) throw this.notFound(t.name);
    return all[all.length - 1];
  }

  /** Verifies every file's sha256 (and the signature, under the trust policy) and returns the scoring model's bytes. */
  async load(tagOrResolved: string | ResolvedModel): Promise<LoadedModel> {
    const tag = typeof tagOrResolved === 'string' ? tagOrResolved : tagOrResolved.tag;
    const r = await this.resolve(tag);
    const { manifest, bytes: manifestBytes } = await this.readManifest(r.dir, r.tag);
    if (this.trust.requireSignature) {
      const problem = await this.signatureProblem(r, manifestBytes);
      if (problem) {
        throw new OrtqError('ORTQ_MODEL_UNTRUSTED', `refusing ${r.tag}: ${problem} (repository.trust.requireSignature is on; sign it with "ortq models sign ${r.tag} --key KEY.pem")`, { tag: r.tag });
      }
    }
    // model.onnx is read whole to be returned, so it is hashed from those bytes, not streamed a second time
    const bytes = await readFile(join(r.dir, MODEL_FILE)).catch(() => undefined);
    const modelDigest = bytes && digestBytes(bytes);
    const problems = await this.checkFiles(r.dir, manifest, false, new Map(modelDigest ? [[MODEL_FILE, modelDigest]] : []));
    if (problems.length > 0) {
      throw new OrtqError('ORTQ_MODEL_CORRUPT', `${r.tag}: ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ''}`, { tag: r.tag, problems });
    }
    if (!bytes || !modelDigest || prefixed(modelDigest.sha256) !== manifest.digest) {
      throw new OrtqError('ORTQ_MODEL_CORRUPT', `${r.tag}: ${MODEL_FILE} does not match its recorded sha256`, { tag: r.tag, file: MODEL_FILE });
    }
    this.logger.debug({ model: r.tag, digest: r.digest }, 'model loaded and verified');
    return { model: { ...r, manifest }, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
  }

  /**
   * Digest problems of one version; `strict` also reports files the manifest does not list.
   * `known` holds digests the caller already took, so those files are not read again.
   */
  private async checkFiles(dir: string, manifest: ModelManifest, strict: boolean, known = new Map<string, FileDigest>()): Promise<string[]> {
    const problems: string[] = [];
    for (const [file, want] of Object.entries(manifest.files ?? {})) {
      try {
        const got = known.get(file) ?? (await digestFile(join(dir, file)));
        if (got.sha256 !== want.sha256 || got.size !== want.size) problems.push(`${file} does not match its recorded sha256`);
      } catch (err) {
        problems.push(`${file} is missing (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      }
    }
    if (!manifest.files?.[MODEL_FILE]) problems.push(`${MODEL_FILE} is not listed in the manifest`);
    if (strict) {
      const { files, others } = await listFiles(dir);
      for (const f of files) if (f !== MANIFEST_FILE && f !== SIGNATURE_FILE && !manifest.files?.[f]) problems.push(`${f} is not listed in the manifest`);
      for (const f of others) problems.push(`${f} is not a regular file`);
    }
    return problems;
  }

  private async readSignature(dir: string): Promise<SignatureFile | undefined> {
    try {
      return JSON.parse(await readFile(join(dir, SIGNATURE_FILE), 'utf8')) as SignatureFile;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      return { algorithm: 'invalid' } as unknown as SignatureFile;
    }
  }

  private async signatureProblem(r: ResolvedModel, manifestBytes: Uint8Array): Promise<string | undefined> {
    if (this.trust.publicKeys.length === 0) return 'no trusted public keys are configured (repository.trust.publicKeys)';
    const keys = this.trust.publicKeys.map(loadPublicKey);
    return signatureProblem(manifestBytes, await this.readSignature(r.dir), keys);
  }

  /** Saves an ONNX file as a new immutable version; see buildVersionDir for what is checked. */
  async save(name: string, file: string, opts: SaveOptions = {}): Promise<ModelManifest> {
    assertValidSegment('name', name);
    if (opts.version !== undefined) assertValidSegment('version', opts.version);
    for (const a of opts.aliases ?? []) assertValidSegment('alias', a);
    const createdAt = new Date();
    const version = opts.version ?? generateVersion(createdAt);
    const tag = `${name}:${version}`;
    if (opts.version !== undefined && (await this.exists(name, version))) {
      throw new OrtqError('ORTQ_MODEL_EXISTS', `model ${tag} already exists; versions are immutable — save under a new version`, { tag });
    }
    const tmp = newTempDir(this.root, name);
    try {
      const manifest = await buildVersionDir({
        name, version, file, createdAt,
        labels: opts.labels ?? {}, metadata: opts.metadata ?? {}, lineage: opts.lineage ?? {},
        attachments: opts.attachments ?? [],
        profile: opts.profile,
      }, tmp);
      await publishDir(tmp, this.nameDir(name), version, tag);
      this.logger.info({ model: tag, digest: manifest.digest, size: manifest.size }, 'model saved');
      for (const alias of opts.aliases ?? []) await this.setAlias(name, alias, version);
      return manifest;
    } finally {
      await removeQuietly(tmp);
    }
  }

  private async exists(name: string, version: string): Promise<boolean> {
    try {
      await readFile(join(this.nameDir(name), version, MANIFEST_FILE));
      return true;
    } catch {
      return false;
    }
  }

  /** A version's reference profile, checked against its recorded digest; null when it has none. */
  async profile(tag: string): Promise<StoredProfile | null> {
    const r = await this.resolve(tag);
    return readVersionProfile(r.dir, r.manifest, r.tag);
  }

  /** Adds profile.json to a stored version, once (see src/repo/profiles.ts for how digests stay verifiable). */
  async attachProfile(tag: string, profile: ReferenceProfile): Promise<StoredProfile> {
    const r = await this.resolve(tag);
    // the alias lock serializes this with delete, prune and another attach of the same model
    const { digest } = await new AliasStore(this.nameDir(r.name)).update(async () => {
      const { manifest } = await this.resolveVersion(r.name, r.version);
      return attachVersionProfile(r.dir, manifest, r.tag, profile);
    });
    this.logger.info({ model: r.tag, profile: digest }, 'profile attached');
    return { profile, digest };
  }

  /** The alias table and its history for one model name. */
  async aliases(name: string): Promise<AliasFile> {
    assertValidSegment('name', name);
    return new AliasStore(this.nameDir(name)).read();
  }

  /** Points `name@alias` at a version (a version string or any tag of the same name). Atomic; recorded in the history. */
  async setAlias(name: string, alias: string, versionOrTag: string): Promise<AliasEvent> {
    assertValidSegment('name', name);
    assertValidSegment('alias', alias);
    const target = await this.resolve(versionOrTag.includes(':') || versionOrTag.includes('@') ? versionOrTag : `${name}:${versionOrTag}`);
    if (target.name !== name) throw new OrtqError('ORTQ_USAGE', `alias ${name}@${alias} cannot point at another model (${target.tag})`);
    return new AliasStore(this.nameDir(name)).update(async (state) => {
      // checked again under the lock: delete takes the same lock
      if (!(await this.exists(name, target.version))) throw this.notFound(target.tag);
      moveAlias(state, alias, target.version, 'move');
      return state.history[state.history.length - 1];
    });
  }

  /**
   * Moves `name@alias` to `version` only if it still points at `expected`
   * (null: not set), atomically under the alias lock. A stale expectation
   * moves nothing and returns where the alias points now.
   */
  async compareAndSetAlias(name: string, alias: string, expected: string | null, version: string, meta: Pick<AliasEvent, 'by' | 'trainRun'> = {}): Promise<{ moved: boolean; current: string | null }> {
    assertValidSegment('name', name);
    assertValidSegment('alias', alias);
    assertValidSegment('version', version);
    return new AliasStore(this.nameDir(name)).update(async (state) => {
      if (!(await this.exists(name, version))) throw this.notFound(`${name}:${version}`);
      return compareAndMove(state, alias, expected, version, meta);
    });
  }

  /** Moves `name@alias` back to where it pointed before its latest move. */
  async rollbackAlias(name: string, alias: string): Promise<AliasEvent> {
    assertValidSegment('name', name);
    assertValidSegment('alias', alias);
    return new AliasStore(this.nameDir(name)).update(async (state) => {
      const target = rollbackTarget(state, alias);
      if (!target) throw new OrtqError('ORTQ_USAGE', `alias ${name}@${alias} has no earlier position to roll back to`);
      if (target.to !== null && !(await this.exists(name, target.to))) {
        throw new OrtqError('ORTQ_MODEL_NOT_FOUND', `cannot roll back ${name}@${alias}: its previous version ${name}:${target.to} was deleted`);
      }
      moveAlias(state, alias, target.to, 'rollback');
      return state.history[state.history.length - 1];
    });
  }

  /** Every version of one name (or of all names), newest first per name, with its aliases. */
  async list(name?: string): Promise<ModelSummary[]> {
    const names = name ? [assertValidSegment('name', name)] : await this.names();
    const out: ModelSummary[] = [];
    for (const n of names) {
      const { aliases } = await new AliasStore(this.nameDir(n)).read();
      for (const r of (await this.versions(n)).reverse()) out.push(await this.summary(r, aliases));
    }
    return out;
  }

  /** One version with its aliases. */
  async get(tag: string): Promise<ModelSummary> {
    const r = await this.resolve(tag);
    const { aliases } = await new AliasStore(this.nameDir(r.name)).read();
    return this.summary(r, aliases);
  }

  private async summary(r: ResolvedModel, aliases: Record<string, string>): Promise<ModelSummary> {
    const signed = (await this.readSignature(r.dir)) !== undefined;
    return { ...r, aliases: aliasesOf(aliases, r.version), signed };
  }

  /** Moves a version folder out of sight (one atomic rename); the caller removes the returned folder after releasing the lock. */
  private async unpublish(r: ResolvedModel): Promise<string> {
    const trash = newTempDir(this.root, `deleted-${r.name}-${r.version}`);
    await mkdir(join(this.root, '.tmp'), { recursive: true });
    await rename(r.dir, trash);
    return trash;
  }

  /**
   * Deletes one version. Refuses when an alias points at it unless `force`,
   * which also removes those aliases (recorded in the history).
   */
  async delete(tag: string, opts: { force?: boolean } = {}): Promise<{ tag: string; removedAliases: string[] }> {
    const r = await this.resolve(tag);
    return new AliasStore(this.nameDir(r.name)).update(async (state) => {
      const pointing = aliasesOf(state.aliases, r.version);
      if (pointing.length > 0 && !opts.force) {
        throw new OrtqError('ORTQ_MODEL_IN_USE', `${r.tag} is aliased as ${pointing.map((a) => `${r.name}@${a}`).join(', ')}; move the alias first or pass --force`, { tag: r.tag, aliases: pointing });
      }
      for (const a of pointing) moveAlias(state, a, null, 'remove');
      const trash = await this.unpublish(r);
      this.logger.info({ model: r.tag, removedAliases: pointing }, 'model version deleted');
      return { tag: r.tag, removedAliases: pointing, trash };
    }).then(async ({ trash, ...out }) => {
      await removeQuietly(trash);
      return out;
    });
  }

  /** Keeps the newest `keep` versions of `name` plus every aliased one; deletes the rest. */
  async prune(name: string, opts: { keep: number; dryRun?: boolean }): Promise<PruneResult> {
    assertValidSegment('name', name);
    if (!Number.isInteger(opts.keep) || opts.keep < 0) throw new OrtqError('ORTQ_USAGE', `--keep must be a whole number ≥ 0, got ${opts.keep}`);
    return new AliasStore(this.nameDir(name)).update(async (state) => {
      const all = (await this.versions(name)).reverse();
      const aliased = new Set(Object.values(state.aliases));
      const kept: string[] = [];
      const deleted: string[] = [];
      all.forEach((r, i) => (i < opts.keep || aliased.has(r.version) ? kept : deleted).push(r.tag));
      const trash: string[] = [];
      if (!opts.dryRun) for (const r of all) if (deleted.includes(r.tag)) trash.push(await this.unpublish(r));
      return { kept, deleted, trash };
    }).then(async ({ trash, ...out }) => {
      for (const t of trash) await removeQuietly(t);
      if (out.deleted.length > 0 && !opts.dryRun) this.logger.info({ model: name, deleted: out.deleted }, 'model versions pruned');
      return out;
    });
  }

  /** Re-hashes every file of one tag, one name, or the whole repository, and checks signatures against the trusted keys. */
  async verify(tag?: string): Promise<VerifyResult[]> {
    let targets: ResolvedModel[];
    if (!tag) targets = (await Promise.all((await this.names()).map((n) => this.versions(n)))).flat();
    else if (!tag.includes(':') && !tag.includes('@')) {
      targets = await this.versions(assertValidSegment('name', tag));
      if (targets.length === 0) throw this.notFound(tag);
    } else targets = [await this.resolve(tag)];
    const results: VerifyResult[] = [];
    let trusted: KeyObject[] | undefined;
    for (const r of targets) {
      const { manifest, bytes } = await this.readManifest(r.dir, r.tag);
      const problems = await this.checkFiles(r.dir, manifest, true);
      const sig = await this.readSignature(r.dir);
      let signature = sig ? 'not checked' : 'unsigned';
      if (sig && this.trust.publicKeys.length > 0) {
        trusted ??= this.trust.publicKeys.map(loadPublicKey);
        const p = signatureProblem(bytes, sig, trusted);
        signature = p ? `invalid: ${p}` : 'valid';
        if (p) problems.push(`signature: ${p}`);
      } else if (!sig && this.trust.requireSignature) problems.push('signature: it is not signed');
      results.push({ tag: r.tag, ok: problems.length === 0, problems, signature });
    }
    return results;
  }

  /** Signs a version's manifest (which holds every file's digest) with an Ed25519 private key; writes signature.json. */
  async sign(tag: string, privateKey: string): Promise<SignatureFile> {
    const key = loadPrivateKey(privateKey);
    const r = await this.resolve(tag);
    const { manifest, bytes } = await this.readManifest(r.dir, r.tag);
    const problems = await this.checkFiles(r.dir, manifest, true);
    if (problems.length > 0) throw new OrtqError('ORTQ_MODEL_CORRUPT', `refusing to sign ${r.tag}: ${problems[0]}`, { tag: r.tag, problems });
    const sig = signManifest(bytes, key);
    await writeJsonAtomic(join(r.dir, SIGNATURE_FILE), sig);
    this.logger.info({ model: r.tag, keyId: sig.keyId }, 'model signed');
    return sig;
  }

  /** Writes one deterministic tar holding the version's manifest and files. */
  async exportArchive(tag: string, file: string): Promise<{ tag: string; file: string; bytes: number }> {
    const { exportVersion } = await import('./archive.js');
    const r = await this.resolve(tag);
    const problems = await this.checkFiles(r.dir, r.manifest, true);
    if (problems.length > 0) throw new OrtqError('ORTQ_MODEL_CORRUPT', `refusing to export ${r.tag}: ${problems[0]}`, { tag: r.tag, problems });
    return exportVersion(r, file);
  }

  /** Adds the version held in an archive; a no-op when the same content is already stored. */
  async importArchive(file: string): Promise<{ tag: string; status: 'imported' | 'unchanged' }> {
    const { importVersion } = await import('./archive.js');
    return importVersion(this.root, file, {
      existing: async (name, version) => ((await this.exists(name, version)) ? this.resolveVersion(name, version) : undefined),
      logger: this.logger,
    });
  }
}

