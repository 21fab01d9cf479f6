import { GraphBuilder } from './builder.js';
import { DataType } from './proto.js';

/**
 * ONNX-ML export of additive tree ensembles (domain ai.onnx.ml):
 * TreeEnsembleRegressor → `variable` [N, 1]; TreeEnsembleClassifier →
 * `label` [N] and `probabilities` [N, k]. Nodes compare with BRANCH_LEQ
 * (`x <= threshold` goes to the true branch, which is `left`); NaN follows
 * `missingLeft` through nodes_missing_value_tracks_true. Thresholds must
 * already be float32 values: the input is float32 and so are the
 * attributes, so a threshold that is not exactly representable would move
 * inputs across the split.
 */
export interface ExportTree {
  nodes: number;
  feature: Int32Array;
  threshold: Float64Array;
  missingLeft: Uint8Array;
  /** < 0 marks a leaf */
  left: Int32Array;
  right: Int32Array;
  /** leaf outputs */
  value: Float64Array;
}

export interface TreeEnsembleSpec {
  inputName: string;
  features: number;
  trees: ExportTree[];
  /** the target (regressor) or class (classifier) each tree adds to */
  treeTargets: ArrayLike<number>;
  baseValues: number[];
  producer?: string;
  metadata?: Record<string, string>;
}

interface Attrs {
  nodes_treeids: number[]; nodes_nodeids: number[]; nodes_featureids: number[]; nodes_values: number[];
  nodes_modes: string[]; nodes_truenodeids: number[]; nodes_falsenodeids: number[];
  nodes_missing_value_tracks_true: number[];
  leaf_treeids: number[]; leaf_nodeids: number[]; leaf_ids: number[]; leaf_weights: number[];
}

function flatten(spec: TreeEnsembleSpec): Attrs {
  const a: Attrs = {
    nodes_treeids: [], nodes_nodeids: [], nodes_featureids: [], nodes_values: [], nodes_modes: [],
    nodes_truenodeids: [], nodes_falsenodeids: [], nodes_missing_value_tracks_true: [],
    leaf_treeids: [], leaf_nodeids: [], leaf_ids: [], leaf_weights: [],
  };
  spec.trees.forEach((t, ti) => {
    for (let n = 0; n < t.nodes; n++) {
      const leaf = t.left[n] < 0;
      a.nodes_treeids.push(ti);
      a.nodes_nodeids.push(n);
      a.nodes_featureids.push(leaf ? 0 : t.feature[n]);
      a.nodes_values.push(leaf ? 0 : t.threshold[n]);
      a.nodes_modes.push(leaf ? 'LEAF' : 'BRANCH_LEQ');
      a.nodes_truenodeids.push(leaf ? 0 : t.left[n]);
      a.nodes_falsenodeids.push(leaf ? 0 : t.right[n]);
      a.nodes_missing_value_tracks_true.push(leaf ? 0 : t.missingLeft[n]);
      if (leaf) {
        a.leaf_treeids.push(ti);
        a.leaf_nodeids.push(n);
        a.leaf_ids.push(spec.treeTargets[ti]);
        a.leaf_weights.push(t.value[n]);
      }
    }
  });
  return a;
}

function nodeAttributes(a: Attrs) {
  return {
    nodes_treeids: { ints: a.nodes_treeids },
    nodes_nodeids: { ints: a.nodes_nodeids },
    nodes_featureids: { ints: a.nodes_featureids },
    nodes_values: { floats: a.nodes_values },
    nodes_modes: a.nodes_modes,
    nodes_truenodeids: { ints: a.nodes_truenodeids },
    nodes_falsenodeids: { ints: a.nodes_falsenodeids },
    nodes_missing_value_tracks_true: { ints: a.nodes_missing_value_tracks_true },
  };
}

export function treeEnsembleRegressor(spec: TreeEnsembleSpec): Uint8Array {
  const a = flatten(spec);
  const g = new GraphBuilder();
  g.input(spec.inputName, DataType.FLOAT, [null, spec.features]);
  g.node('TreeEnsembleRegressor', [spec.inputName], ['variable'], {
    n_targets: 1,
    aggregate_function: 'SUM',
    post_transform: 'NONE',
    base_values: { floats: spec.baseValues },
    ...nodeAttributes(a),
    target_treeids: { ints: a.leaf_treeids },
    target_nodeids: { ints: a.leaf_nodeids },
    target_ids: { ints: a.leaf_ids },
    target_weights: { floats: a.leaf_weights },
  }, 'ai.onnx.ml');
  g.output('variable', DataType.FLOAT, [null, 1]);
  return g.build({ producer: spec.producer, metadata: spec.metadata });
}

/**
 * Two classes: one score per row (every tree targets class 0, one base
 * value) and LOGISTIC, which onnxruntime turns into [1 - p, p]. More
 * classes: one score per class and SOFTMAX. Labels are carried as
 * classlabels_int64s when all are integers, otherwise as strings.
 */
export function treeEnsembleClassifier(spec: TreeEnsembleSpec & { classes: Array<string | number> }): Uint8Array {
  const a = flatten(spec);
  const binary = spec.classes.length === 2;
  if (binary && !a.leaf_weights.some((w) => w < 0) && a.leaf_weights.length > 0) {
    // onnxruntime skips the logistic transform when every binary weight is >= 0;
    // split one leaf's weight w into (w + 1) and -1, the same sum.
    a.leaf_weights[0] += 1;
    a.leaf_treeids.push(a.leaf_treeids[0]);
    a.leaf_nodeids.push(a.leaf_nodeids[0]);
    a.leaf_ids.push(a.leaf_ids[0]);
    a.leaf_weights.push(-1);
  }
  const ints = spec.classes.every((c) => typeof c === 'number' && Number.isInteger(c));
  const labels: Record<string, string[] | { ints: number[] }> = ints
    ? { classlabels_int64s: { ints: spec.classes as number[] } }
    : { classlabels_strings: spec.classes.map(String) };
  const g = new GraphBuilder();
  g.input(spec.inputName, DataType.FLOAT, [null, spec.features]);
  g.node('TreeEnsembleClassifier', [spec.inputName], ['label', 'probabilities'], {
    post_transform: binary ? 'LOGISTIC' : 'SOFTMAX',
    base_values: { floats: spec.baseValues },
    ...labels,
    ...nodeAttributes(a),
    class_treeids: { ints: a.leaf_treeids },
    class_nodeids: { ints: a.leaf_nodeids },
    class_ids: { ints: a.leaf_ids },
    class_weights: { floats: a.leaf_weights },
  }, 'ai.onnx.ml');
  g.output('label', ints ? DataType.INT64 : DataType.STRING, [null]);
  g.output('probabilities', DataType.FLOAT, [null, spec.classes.length]);
  return g.build({ producer: spec.producer, metadata: spec.metadata });
}
