/**
 * Cost of drift histograms, in isolation: DriftAccumulator over `--rows`
 * rows × 64 float32 columns (the bench MLP's inputs) in batches of 16,384,
 * plus its 10 score outputs and their argmax. With `--run` it also times an
 * `ortq run` of the 64-feature MLP on the same number of rows (in a child
 * process, as `npm run bench` does) and prints the ratio the issue bounds at
 * 5%.
 *
 *   node dist/bench/drift.js [--rows 1000000] [--run] [--dir .ortq/bench]
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { mlpModel } from '../onnx/model-zoo.js';
import { seededRandom } from '../onnx/builder.js';
import { DriftAccumulator } from '../monitor/histograms.js';
import { ProfileBuilder } from '../monitor/profile-builder.js';
import { featureBatch, writeFeatureDataset } from './datasets.js';

const FEATURES = 64;
const OUTPUTS = 10;
const BATCH = 16384;

function scores(rows: number, seed: number): { type: string; data: Float32Array; dims: number[] } {
  const rnd = seededRandom(seed);
  const data = new Float32Array(rows * OUTPUTS);
  for (let i = 0; i < data.length; i++) data[i] = rnd() * 4 - 2;
  return { type: 'float32', data, dims: [rows, OUTPUTS] };
}

/** CPU ms of this process's reaped children (Linux /proc: cutime + cstime, in 100 Hz ticks); null elsewhere. */
function childrenCpuMs(): number | null {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: {
    rows: { type: 'string', default: '1000000' },
    run: { type: 'boolean', default: false },
    dir: { type: 'string', default: '.ortq/bench' },
  } });
  const rows = Number(values.rows);
  const builder = new ProfileBuilder();
  builder.add(featureBatch(100_000, FEATURES, 99), { y: scores(100_000, 98) });
  const profile = builder.finish({ source: [] });

  // the batches are made before timing: only counting is measured
  const batches = Array.from({ length: Math.ceil(rows / BATCH) }, (_, i) => featureBatch(Math.min(BATCH, rows - i * BATCH), FEATURES, i + 1));
  const outs = batches.map((b, i) => scores(b.numRows, 1000 + i));
  let best = Infinity;
  let cpuOfBest = 0;
  for (let rep = 0; rep < 3; rep++) {
    const acc = new DriftAccumulator(profile, 'sha256:bench');
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < batches.length; i++) {
      acc.addBatch(batches[i]);
      acc.addOutputs({ y: outs[i] }, batches[i].numRows);
    }
    acc.result();
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    if (ms < best) { best = ms; cpuOfBest = (cpu.user + cpu.system) / 1000; }
  }
  const values64 = rows * FEATURES;
  process.stdout.write(`drift histograms: ${rows.toLocaleString('en')} rows × ${FEATURES} float32 columns + ${OUTPUTS} scores and argmax: `
    + `${best.toFixed(0)} ms wall (${cpuOfBest.toFixed(0)} ms CPU), ${((best * 1e6) / values64).toFixed(2)} ns per input value\n`);

  if (values.run) {
    const dir = resolve(values.dir!);
    await mkdir(dir, { recursive: true });
    const model = join(dir, 'mlp.onnx');
    await writeFile(model, mlpModel({ sizes: [FEATURES, 64, 32, OUTPUTS], seed: 2 }).bytes);
    const data = await writeFeatureDataset(join(dir, `data-${FEATURES}f-${rows}-arrow`), 'arrow', rows, FEATURES);
    const cpuBefore = childrenCpuMs();
    const out = execFileSync(process.execPath, [new URL('./child.js', import.meta.url).pathname, 'ortq', model, String(FEATURES), data, dir, String(BATCH)], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ORTQ_LOG_LEVEL: 'warn' },
    });
    const run = JSON.parse(out.trim().split('\n').pop()!) as { seconds: number };
    const runCpu = cpuBefore === null ? null : childrenCpuMs()! - cpuBefore;
    process.stdout.write(`ortq run, MLP ${FEATURES}→64→32→${OUTPUTS}, ${rows.toLocaleString('en')} rows (Arrow IPC): ${(run.seconds * 1000).toFixed(0)} ms wall`
      + `${runCpu === null ? '' : ` (${runCpu} ms CPU, all threads)`}; histograms / run = ${((best / (run.seconds * 1000)) * 100).toFixed(1)}% of wall`
      + `${runCpu === null ? '' : `, ${((cpuOfBest / runCpu) * 100).toFixed(1)}% of CPU`} (target ≤ 5%)\n`);
  }
}

await main();
