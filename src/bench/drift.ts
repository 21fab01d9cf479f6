/**
 * Cost of drift histograms, in isolation: DriftAccumulator over `--rows`
 * rows × 64 float32 columns (the bench MLP's inputs) in batches of 16,384,
 * plus its 10 score outputs and their argmax (src/bench/drift-cost.ts). With
 * `--run` it also measures what the issue bounds at 5%: the warm run of the
 * 64-feature MLP on the same rows with a reference profile against the same
 * run without, `--rounds` ABBA rounds, least of each (src/bench/drift-run.ts),
 * every run in its own process as `npm run bench` does. `npm run bench --
 * --only drift` is the same measurement as a row of the bench table.
 *
 *   node dist/bench/drift.js [--rows 1000000] [--run] [--rounds 3] [--dir .ortq/bench]
 */
import { execFileSync } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { mlpModel } from '../onnx/model-zoo.js';
import { writeFeatureDataset } from './datasets.js';
import { DRIFT_OUTPUTS, measureDriftCounting } from './drift-cost.js';
import { describeRuns, driftKernelName, measureDriftInRun, signedPct, type RunMeasure } from './drift-run.js';

const FEATURES = 64;
const BATCH = 16384;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: {
    rows: { type: 'string', default: '1000000' },
    run: { type: 'boolean', default: false },
    rounds: { type: 'string', default: '3' },
    dir: { type: 'string', default: '.ortq/bench' },
  } });
  const rows = Number(values.rows);
  const cost = measureDriftCounting(rows, FEATURES, BATCH);
  const ms = cost.seconds * 1000;
  const cpuMs = cost.cpuSeconds * 1000;
  process.stdout.write(`drift histograms (kernel ${driftKernelName()}): ${rows.toLocaleString('en')} rows × ${FEATURES} float32 columns + ${DRIFT_OUTPUTS} scores and argmax: `
    + `${ms.toFixed(0)} ms wall (${cpuMs.toFixed(0)} ms CPU), ${((cpuMs * 1e6) / (rows * FEATURES)).toFixed(2)} CPU ns per input value\n`);

  if (values.run) {
    const dir = resolve(values.dir!);
    await mkdir(dir, { recursive: true });
    const model = join(dir, 'mlp.onnx');
    await writeFile(model, mlpModel({ sizes: [FEATURES, 64, 32, DRIFT_OUTPUTS], seed: 2 }).bytes);
    const data = await writeFeatureDataset(join(dir, `data-${FEATURES}f-${rows}-arrow`), 'arrow', rows, FEATURES);
    const profileData = await writeFeatureDataset(join(dir, `data-${FEATURES}f-100000-arrow`), 'arrow', 100_000, FEATURES);
    const repo = join(dir, `repo-drift-${process.pid}`);
    const child = (args: string[]): RunMeasure => JSON.parse(execFileSync(process.execPath, [new URL('./child.js', import.meta.url).pathname, ...args], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ORTQ_LOG_LEVEL: 'warn' },
    }).trim().split('\n').pop()!) as RunMeasure;
    try {
      child(['profile', model, '-', profileData, repo]);
      const d = measureDriftInRun((profiled) => child(['ortq', model, String(FEATURES), data, dir, String(BATCH), 'warm', ...(profiled ? [repo] : [])]), Math.max(1, Number(values.rounds) || 1));
      process.stdout.write(`runs (A = no profile, B = profile): ${describeRuns(d)}\n`);
      process.stdout.write(`ortq run (warm), MLP ${FEATURES}→64→32→${DRIFT_OUTPUTS}, ${rows.toLocaleString('en')} rows (Arrow IPC), least of each: `
        + `without a profile ${d.plain.seconds.toFixed(2)} s wall, ${d.plain.cpuSeconds.toFixed(2)} CPU-s; with one ${d.profiled.seconds.toFixed(2)} s, ${d.profiled.cpuSeconds.toFixed(2)} CPU-s: `
        + `${signedPct(d.wallPct)} wall, ${signedPct(d.cpuPct)} CPU (target ≤ +5% of the run's time); histograms alone ${((cost.cpuSeconds / d.plain.cpuSeconds) * 100).toFixed(1)}% of its CPU\n`);
    } finally {
      await rm(repo, { recursive: true, force: true });
    }
  }
}

await main();
