import type ort from 'onnxruntime-node';
import type { OrtqConfig } from '../config.js';
import { OrtqError } from '../errors.js';

/** Session options from config: intra-op threads and the execution provider (CUDA falls back to CPU per op). */
export function sessionOptions(inference?: OrtqConfig['inference']): ort.InferenceSession.SessionOptions {
  const opts: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    executionProviders: inference?.executionProvider === 'cuda' ? ['cuda', 'cpu'] : ['cpu'],
  };
  if (inference?.intraOpThreads) opts.intraOpNumThreads = inference.intraOpThreads;
  if (inference?.interOpThreads) opts.interOpNumThreads = inference.interOpThreads;
  return opts;
}

/** The error for a session onnxruntime would not create: a missing CUDA provider, or a bad model. */
export function sessionLoadError(message: string, inference?: OrtqConfig['inference']): OrtqError {
  if (inference?.executionProvider === 'cuda' && /cuda|providers_shared|execution ?provider/i.test(message)) {
    return new OrtqError('ORTQ_EXECUTION_PROVIDER_UNAVAILABLE',
      `executionProvider is cuda but onnxruntime cannot start its CUDA provider (${message.split('\n')[0]}); install it with "ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js" on a machine with CUDA 12, or set ORTQ_EXECUTION_PROVIDER=cpu`);
  }
  return new OrtqError('ORTQ_MODEL_INVALID', `onnxruntime cannot load the model: ${message}`);
}
