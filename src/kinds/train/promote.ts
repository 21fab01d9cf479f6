import { join } from 'node:path';
import { readHolds } from '../../repo/holds.js';
import type { ModelRepository } from '../../repo/model-repository.js';
import type { Decision } from './decide.js';
import type { RegisterReceipt } from './register.js';
import type { EvaluationReceipt } from './step-evaluate.js';
import type { TrainPlan, Verdict } from './types.js';
import type { OrtqConfig } from '../../config.js';
import { candidateForReplay, replayBeforePromote, type ReplayReport } from './replay.js';
import type { ValidateReceipt } from './validate.js';
import { holdForApproval, promoteWithVerdict } from './verdicts.js';

export interface PromoteReceipt {
  promoted: boolean;
  /** `model@alias` */
  alias: string;
  /** the verdict after promotion: a stale compare-and-set turns blessed into pending_approval */
  verdict: Verdict;
  reason: string;
  from: string | null;
  /** `promote.replay`: the candidate and the champion on recent production inputs */
  replay?: ReplayReport;
}

/**
 * Moves the alias to a blessed candidate under `promote: auto`, by
 * compare-and-set against where the alias pointed when the champion was
 * evaluated. Already pointing at the candidate (a repeat after a kill) counts
 * as promoted. A stale expectation leaves the alias and makes the verdict
 * pending_approval, saying why.
 */
export async function promoteCandidate(plan: TrainPlan, args: {
  repo: ModelRepository;
  decision: Decision;
  evaluation: EvaluationReceipt;
  registered: RegisterReceipt;
  /** needed by `promote.replay` */
  validated?: ValidateReceipt;
  inference?: OrtqConfig['inference'];
}): Promise<PromoteReceipt> {
  const { repo, decision, evaluation, registered } = args;
  const job = plan.job;
  const alias = `${job.model}@${job.alias}`;
  const expected = evaluation.aliasAtEvaluation;
  const base = { alias, from: expected };
  if (decision.verdict !== 'blessed') return { ...base, promoted: false, verdict: decision.verdict, reason: `verdict is ${decision.verdict}` };
  if (job.promote.mode !== 'auto') return { ...base, promoted: false, verdict: decision.verdict, reason: `promote: ${job.promote.mode}` };
  const now = (await repo.aliases(job.model)).aliases[job.alias] ?? null;
  if (now === registered.version) return { ...base, promoted: true, verdict: 'blessed', reason: `${alias} points at ${registered.tag}` };
  const hold = (await readHolds(join(repo.root, job.model)))[registered.version];
  if (hold) {
    const reason = `held from automatic promotion since ${hold.at} (${hold.reason}); run "ortq models approve ${registered.tag}" to promote anyway`;
    await holdForApproval(repo, job.model, registered.version, reason, plan.runId);
    return { ...base, promoted: false, verdict: 'pending_approval', reason };
  }
  let replay: ReplayReport | undefined;
  const champ = evaluation.champion;
  if (job.promote.replay && champ && 'evaluation' in champ) {
    if (!args.validated) throw new Error('promote.replay needs the validate receipt');
    replay = await replayBeforePromote({
      spec: job.promote.replay, model: job.model, task: job.task, batchSize: job.batchSize,
      candidate: await candidateForReplay(plan.runDir, args.validated), championTag: `${job.model}:${champ.version}`,
      repo, inference: args.inference,
    });
    if (!replay.pass) {
      const failed = replay.reasons.filter((r) => !r.includes('≤'));
      const reason = `replay before promote: ${failed.join('; ')}; run "ortq models approve ${registered.tag}" to promote anyway`;
      await holdForApproval(repo, job.model, registered.version, reason, plan.runId);
      return { ...base, promoted: false, verdict: 'pending_approval', reason, replay };
    }
  }
  const withReplay = replay ? { replay } : {};
  const r = await promoteWithVerdict(repo, { name: job.model, alias: job.alias, expected, version: registered.version, trainRun: plan.runId });
  if (r.moved) return { ...base, ...withReplay, promoted: true, verdict: 'blessed', reason: `${alias} moved from ${expected ?? '(unset)'} to ${registered.version}` };
  return {
    ...base, ...withReplay, promoted: false, verdict: 'pending_approval',
    reason: `stale: ${alias} moved from ${expected ?? '(unset)'} to ${r.current ?? '(unset)'} after the champion was evaluated; run "ortq models approve ${registered.tag}" to promote anyway`,
  };
}
