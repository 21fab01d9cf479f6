import { join } from 'node:path';
import { OrtqError } from '../../errors.js';
import { AliasStore, compareAndMove, moveAlias, type VerdictRecord } from '../../repo/aliases.js';
import type { ModelRepository } from '../../repo/model-repository.js';

/**
 * The review state of trained versions, stored beside the aliases (same file,
 * same lock): a version's manifest is immutable and records the verdict it
 * was registered with; approval, rejection and a stale promotion change it here.
 */
function store(repo: ModelRepository, name: string): AliasStore {
  return new AliasStore(join(repo.root, name));
}

export async function readVerdicts(repo: ModelRepository, name: string): Promise<Record<string, VerdictRecord>> {
  return (await store(repo, name).read()).verdicts ?? {};
}

/** Records a version's verdict; `ifAbsent` leaves one already there (a repeated registration after a kill). */
export async function setVerdict(repo: ModelRepository, name: string, version: string, record: VerdictRecord, opts: { ifAbsent?: boolean } = {}): Promise<void> {
  await store(repo, name).update((state) => {
    if (opts.ifAbsent && state.verdicts?.[version]) return;
    state.verdicts = { ...(state.verdicts ?? {}), [version]: record };
  });
}

/**
 * Promotion by compare-and-set: the alias moves only if it still points at
 * the champion that was evaluated; the verdict is recorded in the same
 * locked write. A stale expectation changes the verdict to pending_approval.
 */
export async function promoteWithVerdict(repo: ModelRepository, args: {
  name: string; alias: string; expected: string | null; version: string; trainRun: string;
}): Promise<{ moved: boolean; current: string | null }> {
  const { name, alias, expected, version, trainRun } = args;
  return store(repo, name).update((state) => {
    const r = compareAndMove(state, alias, expected, version, { by: 'train', trainRun });
    const at = new Date().toISOString();
    state.verdicts ??= {};
    if (r.moved) {
      state.verdicts[version] = { ...state.verdicts[version], verdict: 'blessed', reasons: state.verdicts[version]?.reasons ?? [], trainRun, at, by: 'train' };
    } else {
      const reason = `stale: ${name}@${alias} moved from ${expected ?? '(unset)'} to ${r.current ?? '(unset)'} after evaluation; approve to promote anyway`;
      state.verdicts[version] = { verdict: 'pending_approval', reasons: [...(state.verdicts[version]?.reasons ?? []), reason], trainRun, at, by: 'train' };
    }
    return r;
  });
}

/** A blessed candidate that an automatic promotion may not move (replay, hold) becomes pending_approval, with the reason. */
export async function holdForApproval(repo: ModelRepository, name: string, version: string, reason: string, trainRun: string): Promise<void> {
  await store(repo, name).update((state) => {
    state.verdicts ??= {};
    const prev = state.verdicts[version];
    state.verdicts[version] = { verdict: 'pending_approval', reasons: [...(prev?.reasons ?? []), reason], trainRun, at: new Date().toISOString(), by: 'train' };
  });
}

/** `ortq models approve`: a pending version becomes blessed and the alias moves to it. */
export async function approveVersion(repo: ModelRepository, tag: string, alias: string, by = 'cli'): Promise<{ tag: string; alias: string; from: string | null }> {
  const r = await repo.resolve(tag);
  return store(repo, r.name).update((state) => {
    const rec = state.verdicts?.[r.version];
    if (!rec || rec.verdict !== 'pending_approval') {
      throw new OrtqError('ORTQ_USAGE', `${r.tag} is not pending approval (its verdict is ${rec?.verdict ?? 'none: it was not registered by a training run'})`, { tag: r.tag });
    }
    const from = moveAlias(state, alias, r.version, 'move', new Date(), { by, trainRun: rec.trainRun });
    state.verdicts![r.version] = { ...rec, verdict: 'blessed', reasons: [...rec.reasons, `approved by ${by}`], at: new Date().toISOString(), by };
    return { tag: r.tag, alias, from };
  });
}

/** `ortq models reject`: a pending version becomes rejected, with the reason given. */
export async function rejectVersion(repo: ModelRepository, tag: string, reason: string, by = 'cli'): Promise<{ tag: string }> {
  const r = await repo.resolve(tag);
  return store(repo, r.name).update((state) => {
    const rec = state.verdicts?.[r.version];
    if (!rec || rec.verdict !== 'pending_approval') {
      throw new OrtqError('ORTQ_USAGE', `${r.tag} is not pending approval (its verdict is ${rec?.verdict ?? 'none'})`, { tag: r.tag });
    }
    state.verdicts![r.version] = { ...rec, verdict: 'rejected', reasons: [...rec.reasons, `rejected by ${by}: ${reason}`], at: new Date().toISOString(), by };
    return { tag: r.tag };
  });
}

/** What `models list` shows of a version a training run registered: its verdict now and its headline metric. */
export interface VersionVerdict { verdict: string; headline: string }

/** Verdict and headline metric per `name:version`, for the versions that have one. */
export async function verdictsOf(repo: ModelRepository, versions: Array<{ name: string; version: string; tag: string; manifest: { labels: Record<string, string>; metadata: Record<string, unknown> } }>): Promise<Map<string, VersionVerdict>> {
  const out = new Map<string, VersionVerdict>();
  const byName = new Map<string, Record<string, VerdictRecord>>();
  for (const v of versions) {
    if (!byName.has(v.name)) byName.set(v.name, await readVerdicts(repo, v.name));
    const rec = byName.get(v.name)![v.version];
    const verdict = rec?.verdict ?? v.manifest.labels.verdict;
    if (!verdict) continue;
    const h = (v.manifest.metadata.train as { headline?: { metric: string; value: number | null } } | undefined)?.headline;
    const headline = h ? `${h.metric} ${h.value === null ? 'n/a' : Number(h.value.toPrecision(4))}` : '';
    out.set(v.tag, { verdict, headline });
  }
  return out;
}
