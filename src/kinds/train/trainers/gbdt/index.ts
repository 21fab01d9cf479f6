import { availableParallelism } from 'node:os';
import { treeEnsembleClassifier, treeEnsembleRegressor } from '../../../../onnx/ml-tree.js';
import type { BuiltinTrainer, TrainerInput, TrainerResult } from '../types.js';
import { fitGbdt, predictRaw, type GbdtModel } from './boosting.js';
import { probabilities } from './loss.js';
import { GBDT_DEFAULTS, gbdtHyperparameters, type GbdtParams } from './params.js';

export { GBDT_DEFAULTS, gbdtHyperparameters, type GbdtParams } from './params.js';
export { fitGbdt, predictRaw, type GbdtModel } from './boosting.js';

/**
 * The built-in `gbdt` trainer: histogram gradient-boosted trees like
 * scikit-learn's HistGradientBoostingRegressor (squared error) and
 * HistGradientBoostingClassifier (log loss; one tree per class per round for
 * 3+ classes), exported as ONNX-ML tree ensembles. See params.ts for the
 * hyperparameters.
 *
 * Missing values (NaN) get their own bin; a split sends them to the side
 * that gains most when the feature had missing values in training, and to
 * the child with more rows otherwise (as scikit-learn). With `threads` > 1
 * and at least PARALLEL_MIN_ROWS rows, histograms are built by that many
 * threads (same model as one thread); without `threads`, min(2, cores).
 */
export const gbdtTrainer: BuiltinTrainer = {
  name: 'gbdt',
  tasks: ['classification', 'regression'],
  defaults: { ...GBDT_DEFAULTS },
  hyperparameters: (given) => ({ ...gbdtHyperparameters(given) }),
  fit: (input) => fitGbdtTrainer(input),
};

export function fitGbdtTrainer(input: TrainerInput): TrainerResult {
  const params = gbdtHyperparameters(input.hyperparameters as Partial<GbdtParams>);
  const { X, target, task } = input;
  const classes = task === 'classification' ? target.classes.length : 0;
  const started = performance.now();
  const model = fitGbdt(X.columns, target.y, { task, classes, params, seed: input.seed, threads: input.threads ?? Math.min(2, availableParallelism()), onProgress: input.onProgress });
  const onnx = exportGbdt(model, input.inputName, X.columns.length, target.classes);
  return {
    onnx,
    classes: task === 'classification' ? target.classes : [],
    info: {
      iterations: model.iterations,
      trees: model.trees.length,
      leaves: model.trees.reduce((s, t) => s + (t.nodes + 1) / 2, 0),
      trainLoss: model.trainLoss,
      ...(model.validationLoss.length > 0 ? { validationLoss: model.validationLoss[model.validationLoss.length - 1] } : {}),
      seconds: (performance.now() - started) / 1000,
    },
  };
}

export function exportGbdt(model: GbdtModel, inputName: string, features: number, classes: Array<string | number>): Uint8Array {
  const treeTargets = Int32Array.from(model.trees, (_, i) => i % model.outputs);
  const spec = {
    inputName, features, trees: model.trees, treeTargets, baseValues: Array.from(model.baseline),
    producer: 'ortq-gbdt', metadata: { trainer: 'gbdt', iterations: String(model.iterations) },
  };
  return model.task === 'regression' ? treeEnsembleRegressor(spec) : treeEnsembleClassifier({ ...spec, classes });
}

/**
 * The model's own predictions for rows 0..n-1 of raw columns: regression
 * values [n], or class probabilities row-major [n, k] (k = 2 for binary).
 */
export function predictGbdt(model: GbdtModel, columns: Float64Array[], n: number): Float64Array {
  const raw = predictRaw(model, columns, n);
  if (model.task === 'regression') return raw;
  const k = model.outputs === 1 ? 2 : model.outputs;
  const out = new Float64Array(n * k);
  probabilities(raw, n, model.outputs, out);
  return out;
}
