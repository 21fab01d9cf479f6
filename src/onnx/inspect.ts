import { ELEM_TYPE_NAMES, type OnnxNs } from './proto.js';
import type { OnnxFacts, TensorInfo } from '../repo/manifest.js';

/** protobufjs decodes int64 as a Long when long.js is present, else as a number. */
export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v && typeof v === 'object' && 'toNumber' in v) return (v as { toNumber(): number }).toNumber();
  return Number(v ?? 0);
}

function elemName(t: number | null | undefined): string {
  return ELEM_TYPE_NAMES[toNumber(t)] ?? `elem${toNumber(t)}`;
}

/** Renders an ONNX TypeProto: 'float32' for a tensor, 'seq(map(string,float32))' for ZipMap's output. */
export function typeName(t: OnnxNs.ITypeProto | null | undefined): string {
  if (!t) return 'unknown';
  if (t.tensorType) return elemName(t.tensorType.elemType);
  if (t.sequenceType) return `seq(${typeName(t.sequenceType.elemType)})`;
  if (t.mapType) return `map(${elemName(t.mapType.keyType)},${typeName(t.mapType.valueType)})`;
  if (t.optionalType) return `optional(${typeName(t.optionalType.elemType)})`;
  if (t.sparseTensorType) return `sparse(${elemName(t.sparseTensorType.elemType)})`;
  return 'unknown';
}

export function isTensorType(t: OnnxNs.ITypeProto | null | undefined): boolean {
  return Boolean(t?.tensorType);
}

export function tensorInfo(v: OnnxNs.IValueInfoProto): TensorInfo {
  const dims = v.type?.tensorType?.shape?.dim ?? [];
  return {
    name: v.name ?? '',
    elemType: typeName(v.type),
    shape: dims.map((d) => (d.dimParam ? d.dimParam : d.dimValue !== undefined && d.dimValue !== null ? toNumber(d.dimValue) : null)),
  };
}

/** Graph inputs minus initializers (IR < 4 lists weights among the inputs). */
export function graphInputs(model: OnnxNs.IModelProto): OnnxNs.IValueInfoProto[] {
  const inits = new Set((model.graph?.initializer ?? []).map((i) => i.name));
  return (model.graph?.input ?? []).filter((i) => !inits.has(i.name));
}

/** Reads the facts a manifest records about an ONNX model. */
export function inspectModel(model: OnnxNs.IModelProto): OnnxFacts {
  const opsets: Record<string, number> = {};
  for (const o of model.opsetImport ?? []) opsets[o.domain || 'ai.onnx'] = toNumber(o.version);
  const metadataProps: Record<string, string> = {};
  for (const p of model.metadataProps ?? []) if (p.key) metadataProps[p.key] = p.value ?? '';
  return {
    irVersion: toNumber(model.irVersion),
    opsets,
    producer: model.producerName ?? '',
    producerVersion: model.producerVersion ?? '',
    metadataProps,
    inputs: graphInputs(model).map(tensorInfo),
    outputs: (model.graph?.output ?? []).map(tensorInfo),
  };
}
