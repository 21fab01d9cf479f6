import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // the JSON report lets .ci/run print a plain 'N passed, N failed' closing line
    reporters: ['default', ['json', { outputFile: 'coverage/vitest-report.json' }]],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // onnxruntime and spawned redis-servers: keep parallelism modest on a 2-core box
    maxWorkers: 2,
  },
});
