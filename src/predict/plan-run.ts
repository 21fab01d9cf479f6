import { discoverInputs } from '../io/discover.js';
import { inspectInput, type InputLayout } from '../io/inspect.js';
import type { ModelRepository } from '../repo/model-repository.js';
import { checkFeatureSchema, type InputSpec } from './features.js';
import { cachedSha256s } from './fingerprint-cache.js';
import { buildPlan } from './planner.js';
import { readPlanIfExists } from './run-store.js';
import type { PlannedInput, PredictJob, RunPlan } from './types.js';

/**
 * Resolves the model tag to an exact version and digest, fingerprints and
 * inspects every input file, checks the columns against the model inputs, and
 * builds the plan. A plan already stored in the run directory (an interrupted
 * run) is reused so that shards keep their layout across resumes.
 */
export async function planRun(job: PredictJob, opts: { repo: ModelRepository; shardRows?: number; reuseStored?: boolean }): Promise<RunPlan> {
  const model = await opts.repo.resolve(job.model);
  const files = await discoverInputs(job.input.path, { format: job.input.format });
  const signatureInputs = model.manifest.signature.inputs as InputSpec[];
  // metadata first (footers, headers): a schema mismatch fails before any file is read in full
  const layouts: InputLayout[] = [];
  for (const f of files) {
    const layout = await inspectInput(f);
    checkFeatureSchema({ features: job.features, passthrough: job.passthrough, inputs: signatureInputs, schema: layout.schema, file: f.path });
    layouts.push(layout);
  }
  const hashes = await cachedSha256s(files.map((f) => f.path));
  const inputs: PlannedInput[] = files.map((f, i) => ({
    path: f.path, format: f.format, size: f.size, sha256: hashes[i],
    rows: layouts[i].rows, units: layouts[i].units, unitRows: layouts[i].unitRows,
  }));
  const plan = buildPlan({
    job,
    model: { name: model.name, version: model.version, tag: model.tag, requested: job.model, digest: model.digest },
    inputs,
    shardRows: opts.shardRows ?? 1_000_000,
  });
  if (opts.reuseStored === false) return plan;
  const stored = await readPlanIfExists(plan.runDir);
  return stored && stored.runId === plan.runId ? stored : plan;
}
