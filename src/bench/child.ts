/**
 * One measurement in its own process: `bare MODEL FEATURES ROWS BATCH [ortq-options]`,
 * `ortq MODEL FEATURES FILE DIR BATCH [warm|cold] [REPO]` or
 * `drift - FEATURES ROWS BATCH`. `warm` fingerprints the input (the digest
 * cache) before the clock starts, as a rerun over a known file would; REPO
 * is a repository made by `profile MODEL - DATA REPO` (the model saved as
 * "bench" with a reference profile of DATA, made in its own process so that
 * none of its work or memory lands in the timed run), so that the run counts
 * drift histograms; `drift` times the histograms alone (src/bench/drift-cost.ts).
 * `local REPO FEATURES WARM FILE OUT BATCH TAG` is the queue benchmark's local
 * baseline (src/bench/queue.ts): a run over WARM first, so that the inference
 * thread and session are up as in a warm worker, then the timed run over FILE
 * in one shard; its seconds are the manifest's duration, as the queue's are.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { discoverInputs } from '../io/discover.js';
import { cachedDigests } from '../predict/fingerprint-cache.js';
import { parseJob } from '../predict/job-spec.js';
import { runLocal } from '../predict/local-run.js';
import { ModelRepository } from '../repo/model-repository.js';
import { seededRandom } from '../onnx/builder.js';
import { profileFromData } from '../monitor/profile-data.js';
import { measureDriftCounting } from './drift-cost.js';
import { loadConfig } from '../config.js';
import { sessionOptions } from '../predict/session-options.js';
import { peakRssMb } from './peak-rss.js';

const MIN_BARE_SECONDS = 2;

const [mode, modelPath, featuresArg, a, b, c, d, e, f] = process.argv.slice(2);
const features = Number(featuresArg);

/** CPU seconds of this process (every thread) so far: less noisy than wall time on a shared machine. */
function cpuSeconds(): number {
  const u = process.resourceUsage();
  return (u.userCPUTime + u.systemCPUTime) / 1e6;
}

function report(rows: number, seconds: number, cpu0: number): void {
  const maxRssMb = peakRssMb();
  const cpu = cpuSeconds() - cpu0;
  process.stdout.write(`${JSON.stringify({ rowsPerSec: rows / seconds, seconds, cpuSeconds: cpu, rowsPerCpuSec: rows / cpu, maxRssMb })}\n`);
}

if (mode === 'profile') {
  const repo = new ModelRepository({ root: b });
  await repo.save('bench', modelPath);
  await repo.attachProfile('bench', await profileFromData({ repo, model: 'bench', data: a }));
  process.stdout.write('{}\n');
} else if (mode === 'drift') {
  const r = measureDriftCounting(Number(a), features, Number(b));
  process.stdout.write(`${JSON.stringify({ rowsPerSec: r.rows / r.seconds, seconds: r.seconds, cpuSeconds: r.cpuSeconds, rowsPerCpuSec: r.rows / r.cpuSeconds, maxRssMb: peakRssMb() })}\n`);
} else if (mode === 'local') {
  const [warmFile, file, out, batch, tag] = [a, b, c, Number(d), e];
  const repo = new ModelRepository({ root: modelPath });
  const inputName = (await repo.resolve(tag)).manifest.signature.inputs[0].name;
  const jobFor = (input: string, dir: string) => parseJob({
    name: 'qbench-local', model: tag, input: { path: input },
    features: { [inputName]: Array.from({ length: features }, (_, j) => `f${j}`) },
    output: { path: dir, format: 'arrow' }, batchSize: batch,
  }, { baseDir: out });
  await runLocal(jobFor(warmFile, join(out, 'warmup')), { repo, shardRows: 1_000_000 });
  await cachedDigests([file]);
  const cpu0 = cpuSeconds();
  // `f`: rows per shard (the queue benchmark's `l100`: the same shards as its queued run, in this process); one shard by default
  const { manifest } = await runLocal(jobFor(file, join(out, 'timed')), { repo, shardRows: f ? Number(f) : 1_000_000_000 });
  report(manifest.rows.read, manifest.durationMs / 1000, cpu0);
} else if (mode === 'bare') {
  const rows = Number(a);
  const batch = Number(b);
  // `ortq-options`: the session options ortq's inference thread uses (the floor model's bare run)
  const session = await ort.InferenceSession.create(modelPath, c === 'ortq-options' ? sessionOptions(loadConfig().inference) : { graphOptimizationLevel: 'all' });
  const rnd = seededRandom(1);
  // a few distinct batches so caches don't flatter the ceiling
  const tensors = Array.from({ length: 4 }, () => {
    const data = new Float32Array(batch * features);
    for (let i = 0; i < data.length; i++) data[i] = rnd() * 2 - 1;
    return new ort.Tensor('float32', data, [batch, features]);
  });
  const input = session.inputNames[0];
  await session.run({ [input]: tensors[0] });
  const cpu0 = cpuSeconds();
  const t0 = performance.now();
  let done = 0;
  // whole batches, and at least MIN_BARE_SECONDS: a fast model's 2M rows take 0.1 s, and so short a
  // loop swung 3× between runs on a quiet machine (CPU frequency, scheduling), taking every ratio with it
  for (let i = 0; done < rows || performance.now() - t0 < MIN_BARE_SECONDS * 1000; i++) {
    await session.run({ [input]: tensors[i % 4] });
    done += batch;
  }
  report(done, (performance.now() - t0) / 1000, cpu0);
} else {
  const file = a;
  const dir = b;
  const batch = Number(c);
  const repoRoot = e ?? join(dir, `repo-${process.pid}`);
  const out = join(dir, `out-${process.pid}`);
  process.env.ORTQ_HOME = join(dir, `home-${process.pid}`);
  const repo = new ModelRepository({ root: repoRoot });
  if (!e) await repo.save('bench', modelPath);
  const model = await repo.resolve('bench');
  const inputName = model.manifest.signature.inputs[0].name;
  const job = parseJob({
    name: 'bench', model: 'bench', input: { path: file },
    features: { [inputName]: Array.from({ length: features }, (_, j) => `f${j}`) },
    output: { path: out, format: 'arrow' }, batchSize: batch,
  }, { baseDir: dir });
  if (d === 'warm') await cachedDigests((await discoverInputs(file)).map((f) => f.path));
  const cpu0 = cpuSeconds();
  const t0 = performance.now();
  const { manifest } = await runLocal(job, { repo, shardRows: 1_000_000 });
  const seconds = (performance.now() - t0) / 1000;
  report(manifest.rows.read, seconds, cpu0);
  await Promise.all([...(e ? [] : [repoRoot]), out, process.env.ORTQ_HOME].map((p) => rm(p, { recursive: true, force: true })));
}
