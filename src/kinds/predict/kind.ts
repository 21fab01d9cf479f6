import { predictManifest } from '../../predict/finalize.js';
import { parseJob } from '../../predict/job-spec.js';
import { buildPlan } from '../../predict/planner.js';
import { gatherPredictFacts, type PredictFacts } from '../../predict/plan-run.js';
import { runShard } from '../../predict/shard-runner.js';
import type { PredictJob, RunManifest, RunPlan } from '../../predict/types.js';
import type { JobKind } from '../types.js';

/**
 * `kind: predict`, the first job kind: batch scoring of input files with one
 * pinned model version. The engine stays in src/predict/; this file only
 * plugs it into the run core: shards are the steps, part files their files.
 */
export const predictKind: JobKind<PredictJob, PredictFacts, RunPlan, RunManifest> = {
  name: 'predict',
  queue: 'predict',
  order: 'parallel',
  parseSpec: (raw, opts) => parseJob(raw, opts),
  outputRoot: (spec) => spec.output.path,
  gather: (spec, ctx) => gatherPredictFacts(spec, { repo: ctx.repo, ...(ctx.stepsHere ? { warm: { inference: ctx.config.inference } } : {}) }),
  plan: (spec, facts, opts) => buildPlan({
    job: spec, model: facts.model, inputs: facts.inputs, profile: facts.profile, shardRows: opts.shardRows ?? 1_000_000, now: opts.now, runDirFor: opts.runDirFor,
  }),
  steps: (plan) => plan.shards,
  runStep: (plan, step, ctx) => runShard(plan, step.index, {
    repo: ctx.repo, inference: ctx.config.inference, logger: ctx.logger, onProgress: ctx.onProgress, commit: ctx.commit,
  }),
  finalize: (plan, receipts, info) => predictManifest(plan, receipts, info),
  summary: (m) => ({
    text: `${m.rows.written} rows written${m.rows.skipped ? `, ${m.rows.skipped} skipped` : ''} (model ${m.model.tag}, ${m.rowsPerSecond} rows/s)`,
  }),
};
