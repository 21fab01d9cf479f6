import { readReceipt as readStepReceipt } from '../../runs/store.js';

/**
 * What a train run keeps in its run directory beside the run core's files
 * (`_plan.json`, `_shards/<step>.json` receipts, `run.json`; src/runs/layout.ts):
 * the candidate (model and trainer files), the command trainer's attempts.
 */
export const CANDIDATE_DIR = 'candidate';
export const CANDIDATE_MODEL = 'candidate/model.onnx';

export const STEP_ORDER = ['train', 'validate', 'evaluate', 'decide', 'register', 'promote'] as const;
export type StepName = (typeof STEP_ORDER)[number];

/** What an earlier step of the run returned (its receipt's `detail`), or null when it has not run. */
export async function readReceipt<T>(runDir: string, step: StepName): Promise<T | null> {
  return ((await readStepReceipt(runDir, step))?.detail ?? null) as T | null;
}
