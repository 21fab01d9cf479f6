import { createRequire } from 'node:module';
import type { onnx as OnnxNs } from 'onnx-proto';

// onnx-proto is CommonJS (protobufjs static code); load it through require.
const require = createRequire(import.meta.url);
export const onnx: typeof OnnxNs = (require('onnx-proto') as { onnx: typeof OnnxNs }).onnx;
export type { OnnxNs };

export const DataType = onnx.TensorProto.DataType;

/** ONNX element type number → the name onnxruntime-node uses for tensors. */
export const ELEM_TYPE_NAMES: Record<number, string> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64',
  8: 'string', 9: 'bool', 10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64',
};

/** Decodes ONNX protobuf bytes; throws protobufjs' error on malformed input. */
export function decodeModel(bytes: Uint8Array): OnnxNs.ModelProto {
  return onnx.ModelProto.decode(bytes);
}

export function encodeModel(model: OnnxNs.IModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}
