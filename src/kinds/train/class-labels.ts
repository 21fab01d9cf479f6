import { toNumber } from '../../onnx/inspect.js';
import { decodeModel, type OnnxNs } from '../../onnx/proto.js';
import type { ModelManifest } from '../../repo/manifest.js';

/** ONNX-ML operators whose `classlabels_*` attribute orders the columns of their probability output. */
const CLASSIFIERS = new Set(['LinearClassifier', 'TreeEnsembleClassifier', 'SVMClassifier']);

function labelsOf(node: OnnxNs.INodeProto): Array<string | number> | null {
  for (const a of node.attribute ?? []) {
    if (a.name === 'classlabels_strings' && a.strings?.length) return a.strings.map((s) => new TextDecoder().decode(s));
    if ((a.name === 'classlabels_int64s' || a.name === 'classlabels_ints') && a.ints?.length) return a.ints.map(toNumber);
  }
  return null;
}

/**
 * The class order of a classifier's probability columns: the manifest's
 * (from a ZipMap ortq rewrote), else the classlabels_* attribute of the
 * ONNX-ML classifier in the graph; null when the model does not say.
 */
export function modelClassLabels(bytes: Uint8Array, manifest: Pick<ModelManifest, 'classLabels'> | null, output: string | null): Array<string | number> | null {
  const fromManifest = manifest?.classLabels;
  if (fromManifest) {
    if (output && fromManifest[output]) return fromManifest[output];
    const first = Object.values(fromManifest)[0];
    if (first) return first;
  }
  const model = decodeModel(bytes);
  for (const node of model.graph?.node ?? []) {
    if (node.domain === 'ai.onnx.ml' && CLASSIFIERS.has(node.opType ?? '')) {
      const labels = labelsOf(node);
      if (labels) return labels;
    }
  }
  return null;
}
