import type { AnyJobKind, RunPlanBase, StepContext, StepPlan, StepReceipt } from '../kinds/types.js';
import { checkFiles } from './verify.js';
import { readReceipt, removeReceipt, writeReceipt } from './store.js';

/**
 * Runs one step of a run at most once: a step with a receipt whose files are
 * all there (size checked) is done; otherwise the kind runs it and the
 * receipt is written after its files are in place. Used by the local runner
 * and by queue workers alike, so a retried or re-delivered step never
 * duplicates rows.
 */
export async function runStepOnce(kind: AnyJobKind, plan: RunPlanBase, step: StepPlan, ctx: StepContext): Promise<{ receipt: StepReceipt; ran: boolean }> {
  const done = await readReceipt(plan.runDir, step.id);
  if (done) {
    if ((await checkFiles(plan.runDir, done.files, { hash: false })).length === 0) return { receipt: done, ran: false };
    await removeReceipt(plan.runDir, step.id);
  }
  const receipt = await kind.runStep(plan, step, ctx);
  await writeReceipt(plan.runDir, receipt);
  return { receipt, ran: true };
}
