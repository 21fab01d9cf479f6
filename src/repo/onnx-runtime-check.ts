import { createRequire } from 'node:module';
import { OrtqError } from '../errors.js';

/** The installed onnxruntime-node version, read without loading the native binding. */
export function onnxruntimeVersion(): string {
  try {
    const require = createRequire(import.meta.url);
    const pkgPath = require.resolve('onnxruntime-node/package.json');
    return (require(pkgPath) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/**
 * Opens the model in onnxruntime-node (from its path, so external data next to
 * it resolves) and closes it. A failure becomes ORTQ_MODEL_INVALID carrying
 * onnxruntime's own reason.
 */
export async function assertOpensInOnnxRuntime(modelPath: string, displayName: string): Promise<void> {
  const { default: ort } = await import('onnxruntime-node');
  let session: Awaited<ReturnType<typeof ort.InferenceSession.create>> | undefined;
  try {
    session = await ort.InferenceSession.create(modelPath, { graphOptimizationLevel: 'disabled', logSeverityLevel: 3 });
  } catch (err) {
    const reason = (err instanceof Error ? err.message : String(err)).trim();
    throw new OrtqError('ORTQ_MODEL_INVALID', `onnxruntime cannot load ${displayName}: ${reason}`, { file: displayName }, { cause: err });
  } finally {
    await session?.release().catch(() => undefined);
  }
}
