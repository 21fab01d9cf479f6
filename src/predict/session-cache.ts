import ort from 'onnxruntime-node';
import type { OrtqConfig } from '../config.js';
import { OrtqError } from '../errors.js';

export type Session = ort.InferenceSession;

const sessions = new Map<string, Promise<Session>>();

/** Session options from config: intra-op threads and the execution provider (CUDA falls back to CPU). */
export function sessionOptions(inference?: OrtqConfig['inference']): ort.InferenceSession.SessionOptions {
  const opts: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    executionProviders: inference?.executionProvider === 'cuda' ? ['cuda', 'cpu'] : ['cpu'],
  };
  if (inference?.intraOpThreads) opts.intraOpNumThreads = inference.intraOpThreads;
  if (inference?.interOpThreads) opts.interOpNumThreads = inference.interOpThreads;
  return opts;
}

/**
 * One onnxruntime session per model digest per process, created once and
 * reused: creating sessions repeatedly is slow and leaks native memory.
 */
export function getSession(digest: string, bytes: () => Promise<Uint8Array>, inference?: OrtqConfig['inference']): Promise<Session> {
  let s = sessions.get(digest);
  if (!s) {
    s = (async () => {
      try {
        return await ort.InferenceSession.create(await bytes(), sessionOptions(inference));
      } catch (err) {
        if (err instanceof OrtqError) throw err;
        const message = (err as Error).message;
        if (inference?.executionProvider === 'cuda' && /cuda|providers_shared|execution ?provider/i.test(message)) {
          throw new OrtqError('ORTQ_EXECUTION_PROVIDER_UNAVAILABLE',
            `executionProvider is cuda but onnxruntime cannot start its CUDA provider (${message.split('\n')[0]}); install it with "npm rebuild onnxruntime-node --onnxruntime-node-install=cuda12" on a machine with CUDA 12, or set ORTQ_EXECUTION_PROVIDER=cpu`);
        }
        throw new OrtqError('ORTQ_MODEL_INVALID', `onnxruntime cannot load model ${digest}: ${message}`);
      }
    })();
    sessions.set(digest, s);
    s.catch(() => sessions.delete(digest));
  }
  return s;
}

export function cachedSessionCount(): number {
  return sessions.size;
}

export const onnxruntimeVersion = (): string => ort.env.versions?.node ?? 'unknown';

export { ort };
