import { onnx, type OnnxNs } from './proto.js';
import { toNumber } from './inspect.js';
import type { ZipMapRewrite } from '../repo/manifest.js';

function attr(node: OnnxNs.INodeProto, name: string): OnnxNs.IAttributeProto | undefined {
  return (node.attribute ?? []).find((a) => a.name === name);
}

/** Class labels of a ZipMap or ONNX-ML classifier node (`classlabels_ints` on LinearClassifier and SVMClassifier). */
function labelsOf(node: OnnxNs.INodeProto): Array<string | number> {
  const strings = attr(node, 'classlabels_strings');
  if (strings?.strings?.length) return strings.strings.map((s) => new TextDecoder().decode(s));
  const ints = attr(node, 'classlabels_int64s') ?? attr(node, 'classlabels_ints');
  return (ints?.ints ?? []).map(toNumber);
}

const CLASSIFIERS = new Set(['LinearClassifier', 'TreeEnsembleClassifier', 'SVMClassifier']);
/** Ops that keep the class axis in order between a classifier's scores and a graph output. */
const CLASS_PRESERVING = new Set(['Identity', 'Normalizer', 'Cast', 'Softmax']);

/**
 * Class labels of every graph output that carries an ONNX-ML classifier's
 * scores (its second output, possibly through Identity, Normalizer, Cast or
 * Softmax), keyed by output name: results then get `<output>_<label>` columns
 * whether or not the model ends in ZipMap.
 */
export function classifierLabels(model: OnnxNs.IModelProto): Record<string, Array<string | number>> {
  const graph = model.graph;
  const out: Record<string, Array<string | number>> = {};
  if (!graph) return out;
  const nodes = graph.node ?? [];
  const outputs = new Set((graph.output ?? []).map((o) => o.name));
  for (const node of nodes) {
    if (node.domain !== 'ai.onnx.ml' || !CLASSIFIERS.has(node.opType ?? '')) continue;
    const labels = labelsOf(node);
    let value = node.output?.[1];
    if (!value || labels.length === 0) continue;
    for (let hops = 0; value && hops < 8; hops++) {
      if (outputs.has(value)) out[value] = labels;
      const v: string = value;
      const next = nodes.filter((n) => (n.input ?? []).includes(v));
      value = next.length === 1 && CLASS_PRESERVING.has(next[0].opType ?? '') ? next[0].output?.[0] : undefined;
    }
  }
  return out;
}

/**
 * onnxruntime-node cannot return ZipMap's seq(map) output ("Non tensor type is
 * temporarily not supported"). This removes every ZipMap that feeds only a
 * graph output and exposes its float [N, C] input tensor instead, under the
 * name the model declared for ZipMap's output (`output_probability` from
 * skl2onnx, `probabilities`, whatever a converter chose), so columns are
 * `<declared>_<class>`. The class labels are returned so the manifest can name
 * the columns. Mutates and returns `model`.
 */
export function rewriteZipMap(model: OnnxNs.IModelProto): { model: OnnxNs.IModelProto; rewrites: ZipMapRewrite[] } {
  const graph = model.graph;
  if (!graph) return { model, rewrites: [] };
  const nodes = graph.node ?? [];
  const outputs = graph.output ?? [];
  const zipmaps = nodes.filter((n) => n.opType === 'ZipMap' && n.domain === 'ai.onnx.ml');
  const rewrites: ZipMapRewrite[] = [];
  const removed = new Set<OnnxNs.INodeProto>();
  for (const zm of zipmaps) {
    const out = zm.output?.[0];
    const inp = zm.input?.[0];
    if (!out || !inp) continue;
    const consumedByNode = nodes.some((n) => n !== zm && (n.input ?? []).includes(out));
    const outIndex = outputs.findIndex((o) => o.name === out);
    if (consumedByNode || outIndex < 0) continue;
    const labels = labelsOf(zm);
    // ZipMap is gone, so its output name is free for the tensor that fed it
    const exposed = out;
    nodes.push({ opType: 'Identity', domain: '', name: `ortq_expose_${out}`, input: [inp], output: [exposed], attribute: [] });
    removed.add(zm);
    outputs[outIndex] = onnx.ValueInfoProto.create({
      name: exposed,
      type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{}, { dimValue: labels.length }] } } },
    });
    rewrites.push({ kind: 'zipmap', removedOutput: out, exposedOutput: exposed, classLabels: labels });
  }
  graph.node = nodes.filter((n) => !removed.has(n));
  graph.output = outputs;
  return { model, rewrites };
}
