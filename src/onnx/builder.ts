import { DataType, encodeModel, onnx, type OnnxNs } from './proto.js';

type Dim = number | string | null;
type AttrValue = number | string | number[] | string[] | Float32Array | { floats: number[] } | { ints: number[] };

const AT = onnx.AttributeProto.AttributeType;

function valueInfo(name: string, elemType: number, dims: Dim[]): OnnxNs.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d ?? 'N' })) },
      },
    },
  };
}

function attribute(name: string, v: AttrValue): OnnxNs.IAttributeProto {
  if (typeof v === 'number') return Number.isInteger(v) ? { name, type: AT.INT, i: v } : { name, type: AT.FLOAT, f: v };
  if (typeof v === 'string') return { name, type: AT.STRING, s: new TextEncoder().encode(v) };
  if (v instanceof Float32Array) return { name, type: AT.FLOATS, floats: Array.from(v) };
  if (Array.isArray(v)) {
    if (v.length > 0 && typeof v[0] === 'string') {
      return { name, type: AT.STRINGS, strings: (v as string[]).map((s) => new TextEncoder().encode(s)) };
    }
    return { name, type: AT.INTS, ints: v as number[] };
  }
  if ('floats' in v) return { name, type: AT.FLOATS, floats: v.floats };
  return { name, type: AT.INTS, ints: v.ints };
}

/**
 * A small ONNX graph builder: enough to make the models ortq's tests, demo and
 * benchmarks score, built from code rather than shipped as opaque binaries.
 */
export class GraphBuilder {
  private readonly inputs: OnnxNs.IValueInfoProto[] = [];
  private readonly outputs: OnnxNs.IValueInfoProto[] = [];
  private readonly nodes: OnnxNs.INodeProto[] = [];
  private readonly inits: OnnxNs.ITensorProto[] = [];
  private readonly opsets = new Map<string, number>([['', 17]]);
  private counter = 0;

  input(name: string, elemType: number, dims: Dim[]): this {
    this.inputs.push(valueInfo(name, elemType, dims));
    return this;
  }

  /** A graph output; pass a full TypeProto for non-tensor outputs (ZipMap's seq(map)). */
  output(name: string, elemType: number | OnnxNs.ITypeProto, dims: Dim[] = []): this {
    if (typeof elemType === 'number') this.outputs.push(valueInfo(name, elemType, dims));
    else this.outputs.push({ name, type: elemType });
    return this;
  }

  floats(name: string, values: ArrayLike<number>, dims: number[]): string {
    this.inits.push({ name, dataType: DataType.FLOAT, dims, floatData: Array.from(values) });
    return name;
  }

  int64s(name: string, values: number[], dims: number[]): string {
    this.inits.push({ name, dataType: DataType.INT64, dims, int64Data: values });
    return name;
  }

  node(opType: string, inputs: string[], outputs: string[], attrs: Record<string, AttrValue> = {}, domain = ''): this {
    if (domain && !this.opsets.has(domain)) this.opsets.set(domain, 3);
    this.nodes.push({
      opType,
      domain,
      input: inputs,
      output: outputs,
      name: `${opType}_${this.counter++}`,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return this;
  }

  /** A fresh intermediate value name. */
  tmp(prefix = 't'): string {
    return `${prefix}_${this.counter++}`;
  }

  toModel(opts: { producer?: string; metadata?: Record<string, string>; irVersion?: number } = {}): OnnxNs.IModelProto {
    return {
      irVersion: opts.irVersion ?? 8,
      producerName: opts.producer ?? 'ortq-builder',
      producerVersion: '1',
      opsetImport: [...this.opsets].map(([domain, version]) => ({ domain, version })),
      metadataProps: Object.entries(opts.metadata ?? {}).map(([key, value]) => ({ key, value })),
      graph: { name: 'g', input: this.inputs, output: this.outputs, node: this.nodes, initializer: this.inits },
    };
  }

  build(opts: { producer?: string; metadata?: Record<string, string>; irVersion?: number } = {}): Uint8Array {
    return encodeModel(this.toModel(opts));
  }
}

/** Deterministic pseudo-random numbers (mulberry32) so models are reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

