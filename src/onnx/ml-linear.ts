import { DataType } from './proto.js';
import { GraphBuilder } from './builder.js';

/**
 * ONNX-ML exports of linear models (domain ai.onnx.ml): `LinearRegressor`
 * for ridge regression and `LinearClassifier` for logistic regression.
 * Coefficients are stored as float32, as the operators define them.
 */

const ML = 'ai.onnx.ml';

export interface LinearRegressorExport {
  inputName: string;
  features: number;
  /** one coefficient per feature */
  coef: ArrayLike<number>;
  intercept: number;
  metadata?: Record<string, string>;
}

/** Input `inputName` float [N, features] → output `variable` float [N, 1]. */
export function linearRegressorModel(m: LinearRegressorExport): Uint8Array {
  const g = new GraphBuilder();
  g.input(m.inputName, DataType.FLOAT, [null, m.features]);
  g.node('LinearRegressor', [m.inputName], ['variable'], {
    coefficients: Float32Array.from(m.coef),
    intercepts: Float32Array.of(m.intercept),
    targets: 1,
    post_transform: 'NONE',
  }, ML);
  g.output('variable', DataType.FLOAT, [null, 1]);
  return g.build({ producer: 'ortq' });
}

export interface LinearClassifierExport {
  inputName: string;
  features: number;
  /**
   * Row-major [rows, features]. Binary: one row, the positive class's (index 1)
   * decision function, with LOGISTIC; multinomial: one row per class, with SOFTMAX.
   */
  coef: ArrayLike<number>;
  intercepts: ArrayLike<number>;
  /** class labels in probability-column order; integers become classlabels_ints, anything else classlabels_strings */
  classes: Array<string | number>;
  metadata?: Record<string, string>;
}

/** True when the labels travel as classlabels_ints (and `label` is int64); otherwise as strings. */
export function intLabels(classes: Array<string | number>): boolean {
  return classes.every((c) => typeof c === 'number' && Number.isSafeInteger(c));
}

/**
 * Input `inputName` float [N, features] → `label` [N] (int64 or string) and
 * `probabilities` float [N, k]. The label is the class of the greatest
 * score; for two classes class 1 wins only when z > 0, as scikit-learn's.
 */
export function linearClassifierModel(m: LinearClassifierExport): Uint8Array {
  const k = m.classes.length;
  const rows = m.intercepts.length;
  if (k < 2) throw new RangeError(`a classifier needs at least 2 classes, got ${k}`);
  if (rows !== (k === 2 ? 1 : k)) throw new RangeError(`${rows} coefficient rows for ${k} classes`);
  if (m.coef.length !== rows * m.features) throw new RangeError(`${m.coef.length} coefficients for ${rows} × ${m.features}`);
  const ints = intLabels(m.classes);
  // onnxruntime turns a single binary row into [1 − z, z] without the
  // transform; two rows (−w, w) under LOGISTIC give [σ(−z), σ(z)] = [1 − p, p]
  let coef = Float32Array.from(m.coef);
  let intercepts = Float32Array.from(m.intercepts);
  if (k === 2) {
    coef = Float32Array.from([...coef].map((c) => -c).concat([...coef]));
    intercepts = Float32Array.of(-intercepts[0], intercepts[0]);
  }
  const g = new GraphBuilder();
  g.input(m.inputName, DataType.FLOAT, [null, m.features]);
  g.node('LinearClassifier', [m.inputName], ['label', 'probabilities'], {
    coefficients: coef,
    intercepts,
    multi_class: 0,
    post_transform: k === 2 ? 'LOGISTIC' : 'SOFTMAX',
    ...(ints ? { classlabels_ints: m.classes as number[] } : { classlabels_strings: m.classes.map(String) }),
  }, ML);
  g.output('label', ints ? DataType.INT64 : DataType.STRING, [null]);
  g.output('probabilities', DataType.FLOAT, [null, k]);
  return g.build({ producer: 'ortq', metadata: m.metadata });
}
