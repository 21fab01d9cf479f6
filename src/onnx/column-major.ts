import { decodeModel, encodeModel, onnx, type OnnxNs } from './proto.js';
import { toNumber } from './inspect.js';

const T = onnx.TensorProto.DataType;
const AT = onnx.AttributeProto.AttributeType;

/** Element types a column-major feed is built for (what the feature builder copies without BigInt). */
const COPYABLE = new Set<number>([T.FLOAT, T.DOUBLE, T.INT32, T.INT16, T.INT8, T.UINT8, T.UINT16, T.UINT32]);
/** Element types that can hold NaN or ±Infinity, so the graph reports whether a batch has any. */
const FLOATING = new Set<number>([T.FLOAT, T.DOUBLE]);

/** How one model input is fed after the rewrite. */
export interface ColumnMajorFeed {
  /** the graph input that now takes the values as `[k, N]` */
  feed: string;
  /** a scalar graph output, the sum of every fed value: finite iff no value was NaN or ±Infinity (or the sum overflowed) */
  check?: string;
}

export interface ColumnMajorModel {
  bytes: Uint8Array;
  /** per original input name; inputs not listed are fed as before (`[N, k]` or `[N]`) */
  feeds: Record<string, ColumnMajorFeed>;
}

/**
 * Lets a model take its rank-2 numeric inputs column-major. Each such input
 * `x: [N, k]` becomes `x__ortq_cm: [k, N]` followed by `Transpose(perm=[1,0])`
 * producing `x`, so the graph after it is untouched and its results are the
 * same numbers. Arrow holds columns contiguously: feeding `[k, N]` is k plain
 * copies instead of an element-by-element interleave in JavaScript, and
 * onnxruntime's optimizer folds the Transpose into a following Gemm/MatMul
 * where it can (`transA`).
 *
 * Floating inputs also get an extra scalar output `x__ortq_sum = ReduceSum(x)`:
 * when it is finite the batch holds no NaN or ±Infinity, which spares the
 * feature builder a scan of every value. Returns null when no input qualifies.
 */
export function columnMajorModel(bytes: Uint8Array): ColumnMajorModel | null {
  const model = decodeModel(bytes);
  const graph = model.graph;
  if (!graph) return null;
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
  const used = usedNames(graph);
  const fresh = (base: string): string => {
    let name = base;
    for (let i = 1; used.has(name); i++) name = `${base}${i}`;
    used.add(name);
    return name;
  };
  const feeds: Record<string, ColumnMajorFeed> = {};
  const head: OnnxNs.INodeProto[] = [];
  const tail: OnnxNs.INodeProto[] = [];
  for (const input of graph.input ?? []) {
    const name = input.name ?? '';
    const tt = input.type?.tensorType;
    const dims = tt?.shape?.dim;
    if (!name || initializers.has(name) || !tt || !dims || dims.length !== 2) continue;
    const elem = toNumber(tt.elemType);
    if (!COPYABLE.has(elem)) continue;
    const feed = fresh(`${name}__ortq_cm`);
    input.name = feed;
    tt.shape = { dim: [dims[1], dims[0]] };
    head.push({ opType: 'Transpose', domain: '', name: fresh(`ortq_cm_${name}`), input: [feed], output: [name], attribute: [{ name: 'perm', type: AT.INTS, ints: [1, 0] }] });
    feeds[name] = { feed };
    if (FLOATING.has(elem)) {
      const check = fresh(`${name}__ortq_sum`);
      // no axes: every value is summed (opsets before and after 13 agree); keepdims=0 gives a scalar
      tail.push({ opType: 'ReduceSum', domain: '', name: fresh(`ortq_sum_${name}`), input: [feed], output: [check], attribute: [{ name: 'keepdims', type: AT.INT, i: 0 }] });
      graph.output = [...(graph.output ?? []), { name: check, type: { tensorType: { elemType: elem, shape: { dim: [] } } } }];
      feeds[name].check = check;
    }
  }
  if (head.length === 0) return null;
  graph.node = [...head, ...(graph.node ?? []), ...tail];
  return { bytes: encodeModel(model), feeds };
}

function usedNames(graph: OnnxNs.IGraphProto): Set<string> {
  const used = new Set<string>();
  const walk = (g: OnnxNs.IGraphProto): void => {
    for (const v of [...(g.input ?? []), ...(g.output ?? []), ...(g.valueInfo ?? [])]) if (v.name) used.add(v.name);
    for (const t of g.initializer ?? []) if (t.name) used.add(t.name);
    for (const n of g.node ?? []) {
      for (const x of [...(n.input ?? []), ...(n.output ?? [])]) used.add(x);
      if (n.name) used.add(n.name);
      for (const a of n.attribute ?? []) {
        if (a.g) walk(a.g);
        for (const s of a.graphs ?? []) walk(s);
      }
    }
  };
  walk(graph);
  return used;
}
