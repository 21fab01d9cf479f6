import { gbdtTrainer } from './gbdt/index.js';
import { linearTrainer } from './linear.js';
import { logisticTrainer } from './logistic.js';
import type { BuiltinTrainer } from './types.js';

/** The built-in trainers by name, loaded statically so a spec's hyperparameters are checked synchronously. */
export const BUILTIN_TRAINERS: Record<BuiltinTrainer['name'], BuiltinTrainer> = {
  linear: linearTrainer,
  logistic: logisticTrainer,
  gbdt: gbdtTrainer,
};
