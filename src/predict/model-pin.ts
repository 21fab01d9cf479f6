import { OrtqError } from '../errors.js';
import type { PinnedModel } from '../kinds/types.js';
import type { ModelRepository, ResolvedModel } from '../repo/model-repository.js';

/**
 * One model resolution per run: the tag a spec names (`iris@champion`) is
 * resolved once, when the run is planned, and pinned as `name:version` plus
 * digest. Every shard of the run, in this process or a worker's, uses that
 * exact version; a process resolves each pinned version once.
 */
const pins = new Map<string, Promise<ResolvedModel>>();

const keyOf = (repo: ModelRepository, digest: string) => `${repo.root}\0${digest}`;

/** Resolves the spec's tag, once, and remembers the version for the shards of this process. */
export async function resolveAndPin(repo: ModelRepository, requested: string): Promise<{ resolved: ResolvedModel; pin: PinnedModel }> {
  const resolved = await repo.resolve(requested);
  const key = keyOf(repo, resolved.digest);
  if (!pins.has(key)) pins.set(key, Promise.resolve(resolved));
  return { resolved, pin: { name: resolved.name, version: resolved.version, tag: resolved.tag, requested, digest: resolved.digest } };
}

/** The pinned version; a digest that no longer matches is ORTQ_MODEL_CORRUPT. */
export function pinnedModel(repo: ModelRepository, pin: PinnedModel): Promise<ResolvedModel> {
  const key = keyOf(repo, pin.digest);
  let p = pins.get(key);
  if (!p) {
    p = repo.resolve(pin.tag).then((model) => {
      if (model.digest !== pin.digest) {
        throw new OrtqError('ORTQ_MODEL_CORRUPT', `model ${pin.tag} has digest ${model.digest} but the run was planned with ${pin.digest}`, { tag: pin.tag, expected: pin.digest, found: model.digest });
      }
      return model;
    });
    pins.set(key, p);
    // a failure (missing model) is not remembered: a later shard looks again
    p.catch(() => pins.delete(key));
  }
  return p;
}
