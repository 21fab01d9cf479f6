/**
 * ortq's programmatic API: what the CLI does, as functions. The CLI
 * (bin/ortq.js → src/cli) is a thin layer over these.
 *
 *   import { loadConfig, ModelRepository, runJob, RunLedger } from 'ortq';
 *   const config = loadConfig();
 *   const repo = ModelRepository.fromConfig(config);
 *   const { manifest } = await runJob('jobs/iris-score.yaml', { config, repo });
 */
import { loadConfig, type OrtqConfig } from './config.js';
import { parseJobSpec, readJobFile } from './kinds/job-file.js';
import { loadKind } from './kinds/registry.js';
import type { JobSpecBase, RunManifestBase, RunPlanBase } from './kinds/types.js';
import { ModelRepository } from './repo/model-repository.js';
import { runJobLocally, type LocalRunOptions, type LocalRunResult } from './runs/local-runner.js';

export { loadConfig, type OrtqConfig } from './config.js';
export { ERRORS, OrtqError, isOrtqError, type ErrorCode } from './errors.js';
export { ModelRepository } from './repo/model-repository.js';
export type { ModelManifest, ResolvedModel } from './repo/model-repository.js';
export { parseJobSpec, readJobFile } from './kinds/job-file.js';
export { knownKinds, loadKind } from './kinds/registry.js';
export type { JobSpecBase, RunManifestBase, RunPlanBase, RunStatus } from './kinds/types.js';
export { runJobLocally } from './runs/local-runner.js';
export { RunLedger, type RunRecord } from './runs/ledger.js';
export { readRunManifest } from './runs/store.js';
export { QueueClient } from './queue/queue-client.js';
export { enqueueJob, type EnqueueResult } from './queue/enqueue.js';

/**
 * Runs a job in this process, no Redis, as `ortq run` does: a job file (with
 * `--set`-style overrides) or a spec object whose relative paths resolve
 * against `baseDir` (default: the current directory).
 */
export async function runJob(
  job: string | Record<string, unknown>,
  opts: Partial<Omit<LocalRunOptions, 'config' | 'repo'>> & { config?: Readonly<OrtqConfig>; repo?: ModelRepository; sets?: string[]; baseDir?: string } = {},
): Promise<LocalRunResult<RunPlanBase, RunManifestBase>> {
  const config = opts.config ?? loadConfig();
  const repo = opts.repo ?? ModelRepository.fromConfig(config);
  const spec: JobSpecBase = typeof job === 'string'
    ? await readJobFile(job, opts.sets ?? [], { baseDir: opts.baseDir })
    : await parseJobSpec(job, { baseDir: opts.baseDir ?? process.cwd(), source: 'job' });
  const kind = await loadKind(spec.kind);
  return runJobLocally(kind, spec, { ...opts, config, repo });
}
