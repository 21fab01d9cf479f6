import type { OrtqConfig } from '../../config.js';
import { parseJobSpec } from '../../kinds/job-file.js';
import { readSpecFile } from '../../kinds/spec-file.js';
import type { Logger } from '../../logger.js';
import { driftHistory } from '../../monitor/drift-history.js';
import type { ModelRepository } from '../../repo/model-repository.js';
import { parseTag } from '../../repo/tag.js';
import type { RunLedger } from '../../runs/ledger.js';
import { readPlanIfExists } from '../../runs/store.js';
import type { DriftRunSummary } from '../../triggers/evaluate.js';
import type { TriggerDeps, TriggerEvidence, WatchedJob } from '../../triggers/service.js';
import { driftSummary, fingerprintInputs } from '../../triggers/sources.js';
import { enqueueJob } from '../enqueue.js';
import type { QueueClient } from '../queue-client.js';

export interface LiveDepsOptions {
  config: Readonly<OrtqConfig>;
  repo: ModelRepository;
  logger: Logger;
  /** relative paths in job files resolve here @defaultValue process.cwd() */
  baseDir?: string;
  /** where finished prediction runs are found @defaultValue the one in ORTQ_HOME */
  ledger?: RunLedger;
  /** queued runs scanned for a training in progress @defaultValue 500 */
  scanRuns?: number;
}

/**
 * The finished prediction runs a drift trigger watches, newest first: of the
 * version a `name@alias` points at now (so a new champion starts a fresh
 * streak), of one `name:version`, or of any version for `name`/`name:latest`.
 */
export async function recentPredictRuns(repo: ModelRepository, tag: string, n: number, ledger?: RunLedger): Promise<DriftRunSummary[]> {
  const t = parseTag(tag);
  let version: string | undefined;
  if (t.kind === 'alias') {
    version = (await repo.aliases(t.name)).aliases[t.alias];
    if (!version) return [];
  } else if (t.kind === 'version') {
    version = t.version;
  }
  const entries = await driftHistory(t.name, n, { version, ledger });
  return entries.map(driftSummary).sort((a, b) => (a.finishedAt < b.finishedAt ? 1 : -1));
}

/**
 * Whether a training of `model` is queued or running: a train run record in
 * Redis in that state for `model` (the record names the model it trains from
 * its claim on, before its plan or its flow exist). A record from an older
 * version, with no model, is matched by its plan on the shared file system.
 */
export async function trainingActive(qc: QueueClient, model: string, scan = 500): Promise<boolean> {
  for (const r of await qc.store.recent(scan)) {
    if (r.kind !== 'train' || (r.status !== 'queued' && r.status !== 'running')) continue;
    if (r.model) {
      if (r.model === model) return true;
      continue;
    }
    const plan = await readPlanIfExists(r.runDir).catch(() => null);
    // a record whose plan is not written yet is being enqueued right now (unless its enqueuer died long ago)
    if (!plan) {
      if (Date.now() - Date.parse(r.enqueuedAt) < 60_000) return true;
      continue;
    }
    if ((plan.job as { model?: string }).model === model) return true;
  }
  return false;
}

/**
 * Enqueues a watched train job with a firing's evidence: the job file is read
 * again (so an edit is picked up), `evidence` attached, validated by its kind
 * and enqueued like `ortq enqueue`. The evidence is not part of the run id
 * (NOT_IN_RUN_ID in the train spec schema): a firing with nothing new to
 * train on finds the finished run and says so (`existing`).
 */
export async function enqueueWithEvidence(qc: QueueClient, job: WatchedJob, evidence: TriggerEvidence, opts: LiveDepsOptions): Promise<{ runId: string; outcome: string }> {
  const raw = await readSpecFile(job.file);
  raw.evidence = { ...evidence };
  const spec = await parseJobSpec(raw, { baseDir: opts.baseDir ?? process.cwd(), source: job.file });
  const res = await enqueueJob(qc, spec, {
    config: opts.config, repo: opts.repo, logger: opts.logger, schedule: `trigger:${evidence.trigger}`,
  });
  return { runId: res.plan.runId, outcome: res.outcome };
}

/** TriggerService's dependencies on the real world: the run ledger, the input files, Redis and the queue. */
export function liveTriggerDeps(qc: QueueClient, opts: LiveDepsOptions): TriggerDeps {
  return {
    recentRuns: (tag, n) => recentPredictRuns(opts.repo, tag, n, opts.ledger),
    fingerprint: (path) => fingerprintInputs(path),
    trainingActive: (model) => trainingActive(qc, model, opts.scanRuns),
    enqueue: (job, evidence) => enqueueWithEvidence(qc, job, evidence, opts),
  };
}
