import { DataType, type OnnxNs } from './proto.js';
import { GraphBuilder, seededRandom } from './builder.js';

/**
 * Models built from code for tests, the demo and benchmarks. Each returns the
 * ONNX bytes and the parameters, so a reference can be computed outside ortq.
 */

function weights(n: number, rnd: () => number, scale = 1): Float32Array {
  const w = new Float32Array(n);
  for (let i = 0; i < n; i++) w[i] = (rnd() * 2 - 1) * scale;
  return w;
}

export interface LinearModel { bytes: Uint8Array; weights: Float32Array; bias: Float32Array; features: number; outputs: number }

/** y[N, outputs] = x[N, features] · W + b, input `input`, output `output` (shape [N] when outputs = 1 and `flat`). */
export function linearModel(opts: { features: number; outputs?: number; seed?: number; flat?: boolean; inputName?: string; outputName?: string }): LinearModel {
  const outputs = opts.outputs ?? 1;
  const rnd = seededRandom(opts.seed ?? 1);
  const W = weights(opts.features * outputs, rnd);
  const b = weights(outputs, rnd);
  const g = new GraphBuilder();
  const inName = opts.inputName ?? 'input';
  const outName = opts.outputName ?? 'output';
  g.input(inName, DataType.FLOAT, [null, opts.features]);
  g.floats('W', W, [opts.features, outputs]);
  g.floats('b', b, [outputs]);
  const mm = g.tmp('mm');
  g.node('MatMul', [inName, 'W'], [mm]);
  if (opts.flat && outputs === 1) {
    const y = g.tmp('y');
    g.node('Add', [mm, 'b'], [y]);
    g.int64s('flat_shape', [-1], [1]);
    g.node('Reshape', [y, 'flat_shape'], [outName]);
    g.output(outName, DataType.FLOAT, [null]);
  } else {
    g.node('Add', [mm, 'b'], [outName]);
    g.output(outName, DataType.FLOAT, [null, outputs]);
  }
  return { bytes: g.build(), weights: W, bias: b, features: opts.features, outputs };
}

export interface MlpModel { bytes: Uint8Array; layers: Array<{ W: Float32Array; b: Float32Array; in: number; out: number }> }

/** Dense layers with ReLU between them and no activation after the last: sizes [64, 64, 32, 10] is 64→64→32→10. */
export function mlpModel(opts: { sizes: number[]; seed?: number }): MlpModel {
  const rnd = seededRandom(opts.seed ?? 2);
  const g = new GraphBuilder();
  g.input('input', DataType.FLOAT, [null, opts.sizes[0]]);
  const layers: MlpModel['layers'] = [];
  let cur = 'input';
  for (let l = 0; l + 1 < opts.sizes.length; l++) {
    const inn = opts.sizes[l];
    const out = opts.sizes[l + 1];
    const W = weights(inn * out, rnd, 1 / Math.sqrt(inn));
    const b = weights(out, rnd, 0.1);
    layers.push({ W, b, in: inn, out });
    g.floats(`W${l}`, W, [inn, out]);
    g.floats(`b${l}`, b, [out]);
    const last = l + 2 === opts.sizes.length;
    const mm = g.tmp('mm');
    const z = last ? 'output' : g.tmp('z');
    g.node('Gemm', [cur, `W${l}`, `b${l}`], [z]);
    void mm;
    if (!last) {
      const a = g.tmp('relu');
      g.node('Relu', [z], [a]);
      cur = a;
    }
  }
  g.output('output', DataType.FLOAT, [null, opts.sizes[opts.sizes.length - 1]]);
  return { bytes: g.build(), layers };
}

export interface TwoInputModel { bytes: Uint8Array; weights: Float32Array; categories: string[]; defaultCategory: number }

/**
 * Two inputs: `x` float [N, k] and `category` string [N, 1].
 * score[N, 1] = x · W + index(category) where index is the position in `categories` (or -1).
 */
export function twoInputModel(opts: { features: number; categories: string[]; seed?: number }): TwoInputModel {
  const rnd = seededRandom(opts.seed ?? 3);
  const W = weights(opts.features, rnd);
  const g = new GraphBuilder();
  g.input('x', DataType.FLOAT, [null, opts.features]);
  g.input('category', DataType.STRING, [null, 1]);
  g.floats('W', W, [opts.features, 1]);
  const mm = g.tmp('mm');
  g.node('MatMul', ['x', 'W'], [mm]);
  const idx = g.tmp('idx');
  g.node('CategoryMapper', ['category'], [idx], {
    cats_strings: opts.categories,
    cats_int64s: { ints: opts.categories.map((_, i) => i) },
    default_int64: -1,
  }, 'ai.onnx.ml');
  const idxf = g.tmp('idxf');
  g.node('Cast', [idx], [idxf], { to: DataType.FLOAT });
  g.node('Add', [mm, idxf], ['score']);
  g.output('score', DataType.FLOAT, [null, 1]);
  return { bytes: g.build(), weights: W, categories: opts.categories, defaultCategory: -1 };
}

export interface ZipMapClassifier { bytes: Uint8Array; coefficients: Float32Array; intercepts: Float32Array; classes: Array<string | number>; features: number }

/**
 * What skl2onnx emits for a LogisticRegression by default: LinearClassifier
 * (softmax) → `label` [N] and probabilities → ZipMap → `output_probability` as
 * seq(map). `probabilityOutput` renames ZipMap's output (the tensor feeding it
 * is then `probs_tensor`); `zipMap: false` ends in the [N, C] tensor itself.
 */
export function zipMapClassifier(opts: { features: number; classes: string[] | number[]; seed?: number; probabilityOutput?: string; zipMap?: boolean }): ZipMapClassifier {
  const probOut = opts.probabilityOutput ?? 'output_probability';
  const probTensor = opts.zipMap === false ? probOut : probOut === 'probabilities' ? 'probs_tensor' : 'probabilities';
  const rnd = seededRandom(opts.seed ?? 4);
  const C = opts.classes.length;
  const coef = weights(C * opts.features, rnd);
  const inter = weights(C, rnd, 0.5);
  const stringLabels = typeof opts.classes[0] === 'string';
  const g = new GraphBuilder();
  g.input('float_input', DataType.FLOAT, [null, opts.features]);
  const labelAttr: Record<string, string[] | { ints: number[] }> = stringLabels
    ? { classlabels_strings: opts.classes as string[] }
    : { classlabels_ints: { ints: opts.classes as number[] } };
  g.node('LinearClassifier', ['float_input'], ['label', 'probability_tensor'], {
    coefficients: coef,
    intercepts: inter,
    multi_class: 1,
    post_transform: 'SOFTMAX',
    ...labelAttr,
  }, 'ai.onnx.ml');
  g.node('Normalizer', ['probability_tensor'], [probTensor], { norm: 'L1' }, 'ai.onnx.ml');
  const zipAttr: Record<string, string[] | { ints: number[] }> = stringLabels
    ? { classlabels_strings: opts.classes as string[] }
    : { classlabels_int64s: { ints: opts.classes as number[] } };
  if (opts.zipMap !== false) g.node('ZipMap', [probTensor], [probOut], zipAttr, 'ai.onnx.ml');
  g.output('output_label', stringLabels ? DataType.STRING : DataType.INT64, [null]);
  // label is emitted under skl2onnx's name
  g.node('Identity', ['label'], ['output_label']);
  const seqMap: OnnxNs.ITypeProto = {
    sequenceType: {
      elemType: {
        mapType: {
          keyType: stringLabels ? DataType.STRING : DataType.INT64,
          valueType: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [] } } },
        },
      },
    },
  };
  if (opts.zipMap === false) g.output(probOut, DataType.FLOAT, [null, C]);
  else g.output(probOut, seqMap);
  return {
    bytes: g.build({ producer: 'skl2onnx' }),
    coefficients: coef,
    intercepts: inter,
    classes: opts.classes,
    features: opts.features,
  };
}

export interface TreeEnsemble { bytes: Uint8Array; trees: number; depth: number; features: number }

/** A TreeEnsembleRegressor of `trees` full binary trees of `depth` levels over `features` inputs (aggregate SUM). */
export function treeEnsembleModel(opts: { trees: number; depth: number; features: number; seed?: number }): TreeEnsemble {
  const rnd = seededRandom(opts.seed ?? 5);
  const a = {
    nodes_treeids: [] as number[], nodes_nodeids: [] as number[], nodes_featureids: [] as number[],
    nodes_values: [] as number[], nodes_modes: [] as string[], nodes_truenodeids: [] as number[],
    nodes_falsenodeids: [] as number[], nodes_hitrates: [] as number[], nodes_missing_value_tracks_true: [] as number[],
    target_treeids: [] as number[], target_nodeids: [] as number[], target_ids: [] as number[], target_weights: [] as number[],
  };
  const internal = 2 ** opts.depth - 1;
  const total = 2 ** (opts.depth + 1) - 1;
  for (let t = 0; t < opts.trees; t++) {
    for (let n = 0; n < total; n++) {
      const leaf = n >= internal;
      a.nodes_treeids.push(t);
      a.nodes_nodeids.push(n);
      a.nodes_featureids.push(leaf ? 0 : Math.floor(rnd() * opts.features));
      a.nodes_values.push(leaf ? 0 : rnd() * 2 - 1);
      a.nodes_modes.push(leaf ? 'LEAF' : 'BRANCH_LEQ');
      a.nodes_truenodeids.push(leaf ? 0 : 2 * n + 1);
      a.nodes_falsenodeids.push(leaf ? 0 : 2 * n + 2);
      a.nodes_hitrates.push(1);
      a.nodes_missing_value_tracks_true.push(0);
      if (leaf) {
        a.target_treeids.push(t);
        a.target_nodeids.push(n);
        a.target_ids.push(0);
        a.target_weights.push(rnd() - 0.5);
      }
    }
  }
  const g = new GraphBuilder();
  g.input('input', DataType.FLOAT, [null, opts.features]);
  g.node('TreeEnsembleRegressor', ['input'], ['variable'], {
    n_targets: 1,
    aggregate_function: 'SUM',
    post_transform: 'NONE',
    nodes_treeids: { ints: a.nodes_treeids },
    nodes_nodeids: { ints: a.nodes_nodeids },
    nodes_featureids: { ints: a.nodes_featureids },
    nodes_values: { floats: a.nodes_values },
    nodes_modes: a.nodes_modes,
    nodes_truenodeids: { ints: a.nodes_truenodeids },
    nodes_falsenodeids: { ints: a.nodes_falsenodeids },
    nodes_hitrates: { floats: a.nodes_hitrates },
    nodes_missing_value_tracks_true: { ints: a.nodes_missing_value_tracks_true },
    target_treeids: { ints: a.target_treeids },
    target_nodeids: { ints: a.target_nodeids },
    target_ids: { ints: a.target_ids },
    target_weights: { floats: a.target_weights },
  }, 'ai.onnx.ml');
  g.output('variable', DataType.FLOAT, [null, 1]);
  return { bytes: g.build(), trees: opts.trees, depth: opts.depth, features: opts.features };
}
