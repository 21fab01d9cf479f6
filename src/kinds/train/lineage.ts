import type { VerdictRecord } from '../../repo/aliases.js';
import type { ModelRepository } from '../../repo/model-repository.js';
import { isOrtqError } from '../../errors.js';
import { readVerdicts } from './verdicts.js';

/** One generation of a model's ancestry, as `ortq models lineage` prints it. */
export interface LineageEntry {
  tag: string;
  digest: string;
  createdAt: string;
  verdict: VerdictRecord['verdict'] | null;
  trainRun: string | null;
  trainer: unknown;
  hyperparameters: unknown;
  seed: unknown;
  data: unknown;
  metrics: Record<string, unknown> | null;
  /** the evidence of the trigger that fired the training (src/triggers), null for a run started by hand */
  trigger: { trigger: string; type: string; reason?: string; eventId?: string; firedAt?: string } | null;
  /** the parent's tag; `missing` when it was deleted or pruned */
  parent: { tag: string; digest: string; missing?: boolean } | null;
}

/** The chain of parents of one version, newest first, until a version without a parent (or a deleted one). */
export async function lineageChain(repo: ModelRepository, tag: string, maxDepth = 100): Promise<LineageEntry[]> {
  const out: LineageEntry[] = [];
  let next: string | null = tag;
  const seen = new Set<string>();
  while (next && out.length < maxDepth && !seen.has(next)) {
    seen.add(next);
    let r;
    try {
      r = await repo.resolve(next);
    } catch (err) {
      if (isOrtqError(err, 'ORTQ_MODEL_NOT_FOUND') && out.length > 0) {
        out[out.length - 1].parent = { ...out[out.length - 1].parent!, missing: true };
        break;
      }
      throw err;
    }
    const lin = r.manifest.lineage as Record<string, unknown>;
    const train = (r.manifest.metadata as { train?: { metrics?: Record<string, unknown> } }).train;
    const verdicts = await readVerdicts(repo, r.name);
    const parent = (lin.parent as { tag: string; digest: string } | null | undefined) ?? null;
    out.push({
      tag: r.tag,
      digest: r.digest,
      createdAt: r.manifest.createdAt,
      verdict: verdicts[r.version]?.verdict ?? (r.manifest.labels.verdict as VerdictRecord['verdict'] | undefined) ?? null,
      trainRun: (lin.trainRun as string | undefined) ?? null,
      trainer: lin.trainer ?? null,
      hyperparameters: lin.hyperparameters ?? null,
      seed: lin.seed ?? null,
      data: lin.inputs ?? null,
      metrics: train?.metrics ?? null,
      trigger: (lin.trigger as LineageEntry['trigger'] | undefined) ?? null,
      parent: parent ? { tag: parent.tag, digest: parent.digest } : null,
    });
    next = parent?.tag ?? null;
  }
  return out;
}
