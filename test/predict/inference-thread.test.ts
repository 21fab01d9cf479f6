import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { linearModel } from '../../src/onnx/model-zoo.js';
import { InferenceThread } from '../../src/predict/inference-client.js';
import { expectClose, linearRef } from '../helpers/reference.js';

describe('inference thread', () => {
  it('scores in a worker thread and hands the input buffer back', async () => {
    const m = linearModel({ features: 4, outputs: 2, seed: 3 });
    const t = new InferenceThread(m.bytes);
    expect((await t.ready).outputNames).toEqual(['output']);
    const x = Float32Array.from({ length: 40 }, (_, i) => Math.sin(i));
    const sent = x.slice();
    const { outputs, feeds } = await t.run({ input: { type: 'float32', data: sent, dims: [10, 4] } });
    expect(sent.byteLength).toBe(0); // transferred, not copied
    expect(Array.from(feeds.input.data as Float32Array)).toEqual(Array.from(x));
    expect(outputs.output.dims).toEqual([10, 2]);
    expectClose(Array.from(outputs.output.data as Float32Array), linearRef(m, Float64Array.from(x), 10));
    await t.close();
  });

  it('reports onnxruntime errors as ORTQ_INFERENCE_FAILED and keeps serving', async () => {
    const t = new InferenceThread(linearModel({ features: 4 }).bytes);
    const bad = await t.run({ input: { type: 'float32', data: new Float32Array(6), dims: [2, 3] } }).catch((e) => e);
    expect(bad.code).toBe('ORTQ_INFERENCE_FAILED');
    const ok = await t.run({ input: { type: 'float32', data: new Float32Array(8), dims: [2, 4] } });
    expect(ok.outputs.output.dims).toEqual([2, 1]);
    await t.close();
  });

  it('a drift count plan sent with a batch that failed is still known to the thread: later batches are counted', async () => {
    const t = new InferenceThread(linearModel({ features: 4 }).bytes);
    const plan = { plan: 1, feed: 'input', rows: 2, columns: [{ index: 0, edges: [0] }] };
    const bad = await t.run({ input: { type: 'float32', data: new Float32Array(6), dims: [2, 3] } }, [plan]).catch((e) => e);
    expect(bad.code).toBe('ORTQ_INFERENCE_FAILED');
    const ok = await t.run({ input: { type: 'float32', data: Float32Array.from([-1, 1, 2, 3, 4, 5, 6, 7]), dims: [2, 4] } }, [plan]);
    const counted = await ok.counted!;
    // column 0 of the feed as the thread holds it (its first 2 values): one below the edge, one at or above it
    expect(Array.from(counted.counted[0])).toEqual([1, 1, 0]);
    await t.close();
  });

  it('refuses a model onnxruntime cannot load', async () => {
    const t = new InferenceThread(new Uint8Array([1, 2, 3]));
    await expect(t.ready).rejects.toMatchObject({ code: 'ORTQ_MODEL_INVALID' });
    await t.close();
  });
});

const require = createRequire(import.meta.url);
const ortBin = join(dirname(require.resolve('onnxruntime-node/package.json')), 'bin/napi-v6/linux/x64');
const cudaInstalled = existsSync(join(ortBin, 'libonnxruntime_providers_cuda.so'));

describe('execution provider', () => {
  // the CUDA provider is not shipped in the npm package (README "GPU"); where it is installed this case does not apply
  it.skipIf(cudaInstalled)('asking for CUDA without its provider fails with ORTQ_EXECUTION_PROVIDER_UNAVAILABLE and how to fix it', async () => {
    const t = new InferenceThread(linearModel({ features: 3 }).bytes, { executionProvider: 'cuda', intraOpThreads: 0, interOpThreads: 1 });
    const err = await t.ready.catch((e) => e);
    expect(err.code).toBe('ORTQ_EXECUTION_PROVIDER_UNAVAILABLE');
    expect(err.message).toContain('ONNXRUNTIME_NODE_INSTALL=cuda12');
    await t.close();
  });
});
