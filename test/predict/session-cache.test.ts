import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { linearModel } from '../../src/onnx/model-zoo.js';
import { cachedSessionCount, getSession } from '../../src/predict/session-cache.js';

const require = createRequire(import.meta.url);
const ortBin = join(dirname(require.resolve('onnxruntime-node/package.json')), 'bin/napi-v6/linux/x64');
const cudaInstalled = existsSync(join(ortBin, 'libonnxruntime_providers_cuda.so'));

describe('session cache', () => {
  it('creates one session per digest and reuses it', async () => {
    const bytes = linearModel({ features: 3 }).bytes;
    let loads = 0;
    const load = async () => { loads++; return bytes; };
    const before = cachedSessionCount();
    const [a, b] = await Promise.all([getSession('sha256:test-a', load), getSession('sha256:test-a', load)]);
    expect(a).toBe(b);
    expect(loads).toBe(1);
    expect(cachedSessionCount()).toBe(before + 1);
  });

  // the CUDA provider is not shipped in the npm package (README "GPU"); where it is installed this case does not apply
  it.skipIf(cudaInstalled)('asking for CUDA without its provider fails with ORTQ_EXECUTION_PROVIDER_UNAVAILABLE and how to fix it', async () => {
    const bytes = linearModel({ features: 3 }).bytes;
    const err = await getSession('sha256:test-cuda', async () => bytes, { executionProvider: 'cuda', intraOpThreads: 0, interOpThreads: 1 }).catch((e) => e);
    expect(err.code).toBe('ORTQ_EXECUTION_PROVIDER_UNAVAILABLE');
    expect(err.message).toContain('--onnxruntime-node-install=cuda12');
  });
});
