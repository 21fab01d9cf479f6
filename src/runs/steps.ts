import { AtomicGroup } from '../fs/atomic.js';
import type { AnyJobKind, RunPlanBase, StepContext, StepPlan, StepReceipt } from '../kinds/types.js';
import { checkFiles } from './verify.js';
import { readReceipt, removeReceipt, stageReceipt } from './store.js';

/**
 * Runs one step of a run at most once: a step with a receipt whose files are
 * all there (size checked) is done; otherwise the kind runs it and the
 * receipt is written after its files are in place. Used by the local runner
 * and by queue workers alike, so a retried or re-delivered step never
 * duplicates rows.
 *
 * Durability: a kind may stage its files in `ctx.commit` (predict's part
 * files do); they and the receipt are then made durable together, in two
 * waits for the disk: every file's bytes and the receipt's at once, the
 * renames (the receipt last), every directory at once (AtomicGroup). This
 * returns only when all of it is on disk, so a step that returned — a queued
 * shard before it is acknowledged — has its files and receipt durable; a
 * receipt is never durable without its files' bytes. A crash between the
 * renames and the directory fsyncs can keep the receipt and lose a file's
 * name: the next run of the step finds the file missing (checkFiles above;
 * inspectRun on a local resume) and redoes the step.
 *
 * Hooks (a queue's step process): `ready`, when given, is waited for after
 * the receipt check and before the step's work (the step before it in the
 * same process is still at work: the check is done meanwhile); `staged` is
 * told when the step's work is done and only the staging of its receipt and
 * the commit's waits for the disk are left (the process starts its next
 * step then). Neither changes what is durable when this returns.
 */
export async function runStepOnce(
  kind: AnyJobKind, plan: RunPlanBase, step: StepPlan, ctx: StepContext, hooks: { ready?: Promise<void>; staged?(): void } = {},
): Promise<{ receipt: StepReceipt; ran: boolean }> {
  const done = await readReceipt(plan.runDir, step.id);
  if (done) {
    if ((await checkFiles(plan.runDir, done.files, { hash: false })).length === 0) return { receipt: done, ran: false };
    await removeReceipt(plan.runDir, step.id);
  }
  await hooks.ready;
  const group = new AtomicGroup();
  try {
    const receipt = await kind.runStep(plan, step, { ...ctx, commit: group });
    hooks.staged?.();
    await stageReceipt(plan.runDir, receipt, group);
    await group.commit();
    return { receipt, ran: true };
  } catch (err) {
    await group.abort();
    throw err;
  }
}
