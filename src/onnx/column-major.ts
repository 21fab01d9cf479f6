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
  /**
   * with `outputs: true`: per original output name, the graph output that now
   * holds it transposed, `[k, N]` (outputs not listed are as before)
   */
  outputs: Record<string, string>;
}

/** Output element types transposed into columns (what outputs.ts makes Arrow columns of without a conversion). */
const COLUMN_OUTPUTS = new Set<number>([T.FLOAT, T.DOUBLE, T.INT32, T.INT64, T.INT8, T.UINT8]);

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
 * feature builder a scan of every value.
 *
 * With `outputs`, every rank-2 numeric graph output `y: [N, k]` is replaced
 * by `y__ortq_t: [k, N] = Transpose(y)`: each of its k columns is then a
 * contiguous run of the output buffer, an Arrow column without a copy
 * (outputs.ts), where `[N, k]` had to be split element by element. A
 * transpose moves values and changes none.
 *
 * Returns null when no input or output qualifies.
 */
export function columnMajorModel(bytes: Uint8Array, opts: { outputs?: boolean } = {}): ColumnMajorModel | null {
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
  const outputs: Record<string, string> = {};
  if (opts.outputs) {
    const declared = graph.output ?? [];
    graph.output = declared.map((out) => {
      const name = out.name ?? '';
      const tt = out.type?.tensorType;
      const dims = tt?.shape?.dim;
      if (!name || !tt || !dims || dims.length !== 2 || !COLUMN_OUTPUTS.has(toNumber(tt.elemType))) return out;
      const t = fresh(`${name}__ortq_t`);
      tail.push({ opType: 'Transpose', domain: '', name: fresh(`ortq_t_${name}`), input: [name], output: [t], attribute: [{ name: 'perm', type: AT.INTS, ints: [1, 0] }] });
      outputs[name] = t;
      return { ...out, name: t, type: { tensorType: { elemType: tt.elemType, shape: { dim: [dims[1], dims[0]] } } } };
    });
  }
  if (head.length === 0 && Object.keys(outputs).length === 0) return null;
  graph.node = [...head, ...(graph.node ?? []), ...tail];
  return { bytes: encodeModel(model), feeds, outputs };
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
