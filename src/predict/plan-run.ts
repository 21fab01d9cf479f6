import { discoverInputs } from '../io/discover.js';
import { inspectInput, type InputLayout } from '../io/inspect.js';
import type { PinnedModel } from '../kinds/types.js';
import type { ModelRepository } from '../repo/model-repository.js';
import { checkFeatureSchema, type InputSpec } from './features.js';
import { cachedDigests } from './fingerprint-cache.js';
import { resolveAndPin } from './model-pin.js';
import { scorerFor } from './shard-runner.js';
import type { OrtqConfig } from '../config.js';
import type { StoredProfile } from '../repo/profiles.js';
import type { PlannedInput, PredictJob } from './types.js';

/** What planning a predict run needs to know from disk: the pinned model and the fingerprinted inputs. */
export interface PredictFacts {
  model: PinnedModel;
  inputs: PlannedInput[];
  /** the model version's reference profile (drift is counted against it), null when it has none */
  profile: StoredProfile | null;
}

/**
 * Resolves the model tag to an exact version and digest (once per run),
 * checks every input's columns against the model inputs from metadata alone
 * (footers, headers: a mismatch fails before any file is read in full), then
 * fingerprints the inputs.
 */
export async function gatherPredictFacts(job: PredictJob, opts: { repo: ModelRepository; warm?: { inference: OrtqConfig['inference'] } }): Promise<PredictFacts> {
  const { resolved, pin } = await resolveAndPin(opts.repo, job.model);
  // this process scores next: its inference session starts while the inputs are inspected and fingerprinted
  if (opts.warm) scorerFor(pin, { repo: opts.repo, inference: opts.warm.inference }).catch(() => undefined);
  const files = await discoverInputs(job.input.path, { format: job.input.format });
  const signatureInputs = resolved.manifest.signature.inputs as InputSpec[];
  const layouts: InputLayout[] = [];
  for (const f of files) {
    const layout = await inspectInput(f);
    checkFeatureSchema({ features: job.features, passthrough: job.passthrough, inputs: signatureInputs, schema: layout.schema, file: f.path });
    layouts.push(layout);
  }
  const digests = await cachedDigests(files.map((f) => f.path));
  const inputs: PlannedInput[] = files.map((f, i) => ({
    path: f.path, format: f.format, size: f.size, digest: digests[i],
    rows: layouts[i].rows, units: layouts[i].units, unitRows: layouts[i].unitRows,
  }));
  // the version's reference profile, if any: shards count against it and finalize compares with it
  const profile = resolved.manifest.profile ? await opts.repo.profile(resolved.tag) : null;
  return { model: pin, inputs, profile };
}
