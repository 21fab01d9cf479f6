import { OrtqError } from '../../../errors.js';
import type { BuiltinTrainer } from './types.js';

/** Where each built-in trainer lives, relative to this file (so it works from src/ and dist/). */
const MODULES: Record<BuiltinTrainer['name'], string> = {
  linear: './linear.js',
  logistic: './logistic.js',
  gbdt: './gbdt/index.js',
};

/** The URL of the module that holds trainer `name`. */
export function builtinModuleUrl(name: string): string {
  const rel = (MODULES as Record<string, string>)[name];
  if (!rel) throw new OrtqError('ORTQ_JOB_INVALID', `trainer.builtin: no built-in trainer "${name}" (linear, logistic, gbdt)`);
  return new URL(rel, import.meta.url).href;
}

/** The trainer object a module exports: the export whose `name` is the trainer's and that can `fit`. */
export function pickTrainer(mod: Record<string, unknown>, name: string): BuiltinTrainer | undefined {
  for (const v of [mod.default, ...Object.values(mod)]) {
    const t = v as Partial<BuiltinTrainer> | undefined;
    if (t && typeof t === 'object' && t.name === name && typeof t.fit === 'function' && typeof t.hyperparameters === 'function') {
      return t as BuiltinTrainer;
    }
  }
  return undefined;
}

/** Loads a built-in trainer in this thread (for hyperparameter checks and in the training thread). */
export async function loadBuiltinTrainer(name: string): Promise<BuiltinTrainer> {
  const url = builtinModuleUrl(name);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (err) {
    throw new OrtqError('ORTQ_JOB_INVALID', `trainer.builtin: the "${name}" trainer cannot be loaded: ${(err as Error).message}`, undefined, { cause: err });
  }
  const t = pickTrainer(mod, name);
  if (!t) throw new OrtqError('ORTQ_INTERNAL', `${url} exports no trainer named "${name}"`);
  return t;
}
