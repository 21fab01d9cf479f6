import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // onnxruntime and spawned redis-servers: keep parallelism modest on a 2-core box
    maxWorkers: 2,
  },
});
