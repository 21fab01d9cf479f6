import { onnx, type OnnxNs } from './proto.js';
import { toNumber } from './inspect.js';
import type { ZipMapRewrite } from '../repo/manifest.js';

const PREFERRED_NAME = 'probabilities';

function attr(node: OnnxNs.INodeProto, name: string): OnnxNs.IAttributeProto | undefined {
  return (node.attribute ?? []).find((a) => a.name === name);
}

function labelsOf(node: OnnxNs.INodeProto): Array<string | number> {
  const strings = attr(node, 'classlabels_strings');
  if (strings?.strings?.length) return strings.strings.map((s) => new TextDecoder().decode(s));
  const ints = attr(node, 'classlabels_int64s');
  return (ints?.ints ?? []).map(toNumber);
}

/**
 * onnxruntime-node cannot return ZipMap's seq(map) output ("Non tensor type is
 * temporarily not supported"). This removes every ZipMap that feeds only a
 * graph output and exposes its float [N, C] input tensor instead, named
 * `probabilities` when that name is free. The class labels are returned so the
 * manifest can name the columns. Mutates and returns `model`.
 */
export function rewriteZipMap(model: OnnxNs.IModelProto): { model: OnnxNs.IModelProto; rewrites: ZipMapRewrite[] } {
  const graph = model.graph;
  if (!graph) return { model, rewrites: [] };
  const nodes = graph.node ?? [];
  const outputs = graph.output ?? [];
  const zipmaps = nodes.filter((n) => n.opType === 'ZipMap' && n.domain === 'ai.onnx.ml');
  const used = new Set<string>();
  for (const n of nodes) for (const x of [...(n.input ?? []), ...(n.output ?? [])]) used.add(x);
  for (const v of [...(graph.input ?? []), ...outputs]) if (v.name) used.add(v.name);

  const rewrites: ZipMapRewrite[] = [];
  for (const zm of zipmaps) {
    const out = zm.output?.[0];
    const inp = zm.input?.[0];
    if (!out || !inp) continue;
    const consumedByNode = nodes.some((n) => n !== zm && (n.input ?? []).includes(out));
    const outIndex = outputs.findIndex((o) => o.name === out);
    if (consumedByNode || outIndex < 0) continue;
    const labels = labelsOf(zm);
    let exposed = inp;
    if (zipmaps.length === 1 && inp !== PREFERRED_NAME && !used.has(PREFERRED_NAME)) {
      exposed = PREFERRED_NAME;
      nodes.push({ opType: 'Identity', domain: '', name: 'ortq_expose_probabilities', input: [inp], output: [exposed], attribute: [] });
    }
    graph.node = nodes.filter((n) => n !== zm);
    outputs[outIndex] = onnx.ValueInfoProto.create({
      name: exposed,
      type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{}, { dimValue: labels.length }] } } },
    });
    rewrites.push({ kind: 'zipmap', removedOutput: out, exposedOutput: exposed, classLabels: labels });
  }
  graph.output = outputs;
  return { model, rewrites };
}
