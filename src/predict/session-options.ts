import type ort from 'onnxruntime-node';
import type { OrtqConfig } from '../config.js';
import { OrtqError } from '../errors.js';

/**
 * Session options from config: intra-op threads, spinning, and the execution
 * provider (CUDA falls back to CPU per op). Spinning is off unless
 * `allowSpinning`: onnxruntime's threads then sleep between operators and
 * between batches instead of busy-waiting (session.intra_op.allow_spinning,
 * onnxruntime_session_options_config_keys.h; the Node binding takes it
 * through `extra`).
 */
export function sessionOptions(inference?: OrtqConfig['inference']): ort.InferenceSession.SessionOptions {
  const spin = inference?.allowSpinning === true ? '1' : '0';
  const opts: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    executionProviders: inference?.executionProvider === 'cuda' ? ['cuda', 'cpu'] : ['cpu'],
    extra: { session: { intra_op: { allow_spinning: spin }, inter_op: { allow_spinning: spin } } },
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
