/**
 * Cost of drift histograms, in isolation: DriftAccumulator over `--rows`
 * rows × 64 float32 columns (the bench MLP's inputs) in batches of 16,384,
 * plus its 10 score outputs and their argmax (src/bench/drift-cost.ts). With
 * `--run` it also times an `ortq run` of the 64-feature MLP on the same
 * number of rows (in a child process, as `npm run bench` does) and prints
 * the ratio the issue bounds at 5%. `npm run bench -- --only drift` is the
 * same measurement as a row of the bench table.
 *
 *   node dist/bench/drift.js [--rows 1000000] [--run] [--dir .ortq/bench]
 */
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { mlpModel } from '../onnx/model-zoo.js';
import { writeFeatureDataset } from './datasets.js';
import { DRIFT_OUTPUTS, measureDriftCounting } from './drift-cost.js';

const FEATURES = 64;
const BATCH = 16384;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: {
    rows: { type: 'string', default: '1000000' },
    run: { type: 'boolean', default: false },
    dir: { type: 'string', default: '.ortq/bench' },
  } });
  const rows = Number(values.rows);
  const cost = measureDriftCounting(rows, FEATURES, BATCH);
  const ms = cost.seconds * 1000;
  const cpuMs = cost.cpuSeconds * 1000;
  process.stdout.write(`drift histograms: ${rows.toLocaleString('en')} rows × ${FEATURES} float32 columns + ${DRIFT_OUTPUTS} scores and argmax: `
    + `${ms.toFixed(0)} ms wall (${cpuMs.toFixed(0)} ms CPU), ${((cpuMs * 1e6) / (rows * FEATURES)).toFixed(2)} CPU ns per input value\n`);

  if (values.run) {
    const dir = resolve(values.dir!);
    await mkdir(dir, { recursive: true });
    const model = join(dir, 'mlp.onnx');
    await writeFile(model, mlpModel({ sizes: [FEATURES, 64, 32, DRIFT_OUTPUTS], seed: 2 }).bytes);
    const data = await writeFeatureDataset(join(dir, `data-${FEATURES}f-${rows}-arrow`), 'arrow', rows, FEATURES);
    const out = execFileSync(process.execPath, [new URL('./child.js', import.meta.url).pathname, 'ortq', model, String(FEATURES), data, dir, String(BATCH), 'warm'], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ORTQ_LOG_LEVEL: 'warn' },
    });
    const run = JSON.parse(out.trim().split('\n').pop()!) as { seconds: number; cpuSeconds: number };
    process.stdout.write(`ortq run (warm, no profile), MLP ${FEATURES}→64→32→${DRIFT_OUTPUTS}, ${rows.toLocaleString('en')} rows (Arrow IPC): ${(run.seconds * 1000).toFixed(0)} ms wall`
      + ` (${(run.cpuSeconds * 1000).toFixed(0)} ms CPU, all threads); histograms / run = ${((cost.seconds / run.seconds) * 100).toFixed(1)}% of wall,`
      + ` ${((cost.cpuSeconds / run.cpuSeconds) * 100).toFixed(1)}% of CPU (target ≤ 5%)\n`);
  }
}

await main();
