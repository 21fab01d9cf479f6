import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OrtqError } from '../../errors.js';
import { writeJsonAtomic } from '../../fs/atomic.js';

/**
 * The layout of a train run directory. Each step commits one receipt file
 * (atomically) when it is done; a resumed run skips the steps that have one.
 */
export const PLAN_FILE = '_plan.json';
export const DATA_DIR = 'data';
export const CANDIDATE_DIR = 'candidate';
export const CANDIDATE_MODEL = 'candidate/model.onnx';
export const STEP_FILES = {
  train: 'train.json',
  validate: 'validate.json',
  evaluate: 'evaluation.json',
  decide: 'decision.json',
  register: 'register.json',
  promote: 'promote.json',
} as const;
export const MANIFEST_FILE = 'run.json';
export const FAILED_FILE = '_failed.json';

export type StepName = keyof typeof STEP_FILES;
export const STEP_ORDER: StepName[] = ['train', 'validate', 'evaluate', 'decide', 'register', 'promote'];

export async function readJsonIfExists<T>(file: string): Promise<T | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new OrtqError('ORTQ_INTERNAL', `${file} is not valid JSON: ${(err as Error).message}`, { file });
  }
}

export function readReceipt<T>(runDir: string, step: StepName): Promise<T | null> {
  return readJsonIfExists<T>(join(runDir, STEP_FILES[step]));
}

export function writeReceipt(runDir: string, step: StepName, value: unknown): Promise<void> {
  return writeJsonAtomic(join(runDir, STEP_FILES[step]), value);
}
