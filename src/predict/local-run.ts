import type { Logger } from 'pino';
import { loadConfig, type OrtqConfig } from '../config.js';
import type { OrtqError } from '../errors.js';
import { predictKind } from '../kinds/predict/kind.js';
import type { ModelRepository } from '../repo/model-repository.js';
import type { RunLedger } from '../runs/ledger.js';
import { runJobLocally } from '../runs/local-runner.js';
import type { PredictJob, RunManifest, RunPlan } from './types.js';

export interface LocalRunOptions {
  repo: ModelRepository;
  inference?: OrtqConfig['inference'];
  shardRows?: number;
  force?: boolean;
  logger?: Logger;
  lockWaitMs?: number;
  ledger?: RunLedger;
  onProgress?: (rowsDone: number, totalRows: number | null) => void;
  onWarning?: (err: OrtqError) => void;
}

export interface LocalRunResult { plan: RunPlan; manifest: RunManifest; reused: boolean; repaired: string[] }

/** Runs a predict job in this process through the run core (src/runs/local-runner.ts). */
export async function runLocal(job: PredictJob, opts: LocalRunOptions): Promise<LocalRunResult> {
  const base = loadConfig();
  const config = opts.inference ? { ...base, inference: opts.inference } : base;
  return runJobLocally<RunPlan, RunManifest>(predictKind, job, { ...opts, config });
}
