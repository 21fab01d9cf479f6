import { Field, FixedSizeList, Float32, makeData, makeVector, RecordBatch, Schema, Struct, Table, tableToIPC, type Vector } from 'apache-arrow';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DriftAccumulator, type HistogramSet } from '../../src/monitor/histograms.js';
import type { ReferenceProfile } from '../../src/monitor/profile.js';
import { profileFromData } from '../../src/monitor/profile-data.js';
import { mlpModel } from '../../src/onnx/model-zoo.js';
import { resetSimdBins } from '../../src/monitor/simd-bins.js';
import { FeedCountPlanner } from '../../src/predict/drift-feed.js';
import { buildFeatures, FeatureScratch, type InputSpec } from '../../src/predict/features.js';
import { parseJob } from '../../src/predict/job-spec.js';
import { runLocal } from '../../src/predict/local-run.js';
import { ModelRepository } from '../../src/repo/model-repository.js';

/**
 * Plain float32 columns fed column-major are counted on the inference thread
 * from the feed (src/predict/drift-feed.ts); every other column here. The
 * run's histograms must be exactly the float64 definition's either way.
 */

const N = 1000;
const BATCH = 256;
let seed = 7;
const rnd = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296);

function batchOf(cols: Record<string, Vector>): RecordBatch {
  const fields = Object.entries(cols).map(([n, v]) => new Field(n, v.type, true));
  const length = Object.values(cols)[0].length;
  return new RecordBatch(new Schema(fields), makeData({ type: new Struct(fields), length, nullCount: 0, children: Object.values(cols).map((v) => v.data[0]) }));
}

function list2(values: Float32Array): Vector {
  const type = new FixedSizeList(2, new Field('item', new Float32(), false));
  return makeVector(makeData({ type, length: values.length / 2, nullCount: 0, child: makeVector(values).data[0] }));
}

/** a: f32, b: f64, c: i32, d: 2 × f32 list, e: f32, g: f32 (nulls in `nullsIn` rows) */
function table(rows: number, opts: { edges?: Record<string, number[]>; nullRows?: number[] } = {}): Table {
  // the last batch has no NaN or ±∞: the model's check says so, and the thread counts it without its NaN check
  let specials = true;
  const pick = (col: string, i: number): number => {
    const e = opts.edges?.[col];
    const u = rnd();
    if (e && u < 0.2) return e[i % e.length];
    if (e && u < 0.3) return Math.fround(e[i % e.length]) * (1 + (rnd() < 0.5 ? -1 : 1) * 2 ** -23);
    if (opts.edges && u < 0.33) return specials ? [NaN, Infinity, -Infinity, 0, -0][i % 5] : [0, -0][i % 2];
    return (rnd() - 0.5) * 6;
  };
  const f32 = (col: string) => makeVector(Float32Array.from({ length: rows }, (_, i) => pick(col, i)));
  const batches: RecordBatch[] = [];
  for (let start = 0; start < rows; start += BATCH) {
    specials = start + BATCH < rows;
    const n = Math.min(BATCH, rows - start);
    const nulls = (opts.nullRows ?? []).filter((r) => r >= start && r < start + n).map((r) => r - start);
    const gValues = Float32Array.from({ length: n }, (_, i) => pick('g', i));
    const g = nulls.length === 0 ? makeVector(gValues) : makeVector(makeData({
      type: new Float32(), length: n, nullCount: nulls.length, data: gValues,
      nullBitmap: Uint8Array.from({ length: Math.ceil(n / 8) }, (_, byte) => {
        let bits = 0;
        for (let b = 0; b < 8; b++) if (!nulls.includes(byte * 8 + b)) bits |= 1 << b;
        return bits;
      }),
    }));
    batches.push(batchOf({
      a: makeVector(Float32Array.from({ length: n }, (_, i) => pick('a', i))),
      b: makeVector(Float64Array.from({ length: n }, (_, i) => pick('b', i))),
      c: makeVector(Int32Array.from({ length: n }, () => Math.floor(rnd() * 13) - 6)),
      d: list2(Float32Array.from({ length: 2 * n }, () => rnd())),
      e: f32('e'),
      g,
    }));
  }
  return new Table(batches);
}

/** The float64 definition: bin = number of inner edges ≤ x; null and NaN in the last slot. */
function reference(edges: number[], vec: Vector): number[] {
  const counts = new Array<number>(edges.length + 2).fill(0);
  for (let r = 0; r < vec.length; r++) {
    const x = vec.get(r) as number | null;
    if (x === null || x !== x) counts[edges.length + 1]++;
    else counts[edges.filter((e) => x >= e).length]++;
  }
  return counts;
}

const FEATURES = { input: ['a', 'b', 'c', 'd', 'e', 'g'] };
/** without the list column: batches without nulls go to the thread as shared columns (runShared) */
const FLAT = { input: ['a', 'b', 'c', 'e', 'g'] };
const PROFILED = ['a', 'b', 'c', 'e', 'g'];
let dir: string;
let repo: ModelRepository;
let profile: ReferenceProfile;
const savedHome = process.env.ORTQ_HOME;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ortq-drift-feed-'));
  process.env.ORTQ_HOME = join(dir, 'home');
  repo = new ModelRepository({ root: join(dir, 'models') });
  await writeFile(join(dir, 'm.onnx'), mlpModel({ sizes: [7, 5, 3], seed: 3 }).bytes);
  await repo.save('m', join(dir, 'm.onnx'), { version: '1' });
  await writeFile(join(dir, 'ref.arrow'), tableToIPC(table(2000), 'file'));
  await repo.attachProfile('m:1', await profileFromData({ repo, model: 'm:1', data: join(dir, 'ref.arrow'), features: FEATURES }));
  profile = (await repo.profile('m:1'))!.profile;
});
afterAll(async () => {
  if (savedHome === undefined) delete process.env.ORTQ_HOME;
  else process.env.ORTQ_HOME = savedHome;
  await rm(dir, { recursive: true, force: true });
});

const edgesOf = (col: string): number[] => {
  const p = profile.features[col];
  if (p?.kind !== 'numeric') throw new Error(`${col} is not profiled as numeric`);
  return p.edges;
};

describe('drift counts from the feed', () => {
  it('leaves the plain float32 columns of a fast column-major batch to the inference thread, and no others', () => {
    const t = table(BATCH);
    const batch = t.batches[0];
    const drift = new DriftAccumulator(profile, 'sha256:x');
    const inputs: InputSpec[] = [{ name: 'input', elemType: 'float32', shape: [null, 7] }];
    const planner = new FeedCountPlanner(drift, FEATURES, inputs, new Set(['input']));
    const fb = buildFeatures({ batch, features: FEATURES, inputs, nulls: 'skip', file: 'f', rowBase: 0, scratch: new FeatureScratch(), columnMajor: new Set(['input']) });
    const plan = planner.plan(batch, fb)!;
    expect(plan.names).toEqual([['a', 'e', 'g']]);
    // feed rows: a, b, c, d (2 values), e, g
    expect(plan.requests.map((r) => ({ feed: r.feed, rows: r.rows, at: r.columns!.map((c) => c.index) }))).toEqual([{ feed: 'input', rows: BATCH, at: [0, 5, 6] }]);
    expect(plan.requests[0].columns![0].edges).toEqual(edgesOf('a'));
    // the same layout is the same plan; row-major, or a batch the careful path built, is counted here
    expect(planner.plan(batch, fb)!.requests[0].plan).toBe(plan.requests[0].plan);
    expect(new FeedCountPlanner(drift, FEATURES, inputs, new Set()).plan(batch, buildFeatures({ batch, features: FEATURES, inputs, nulls: 'skip', file: 'f', rowBase: 0 }))).toBeNull();
    const careful = buildFeatures({ batch, features: FEATURES, inputs, nulls: 'skip', file: 'f', rowBase: 0, columnMajor: new Set(['input']), careful: true });
    expect(planner.plan(batch, careful)).toBeNull();
  });

  it('reads a batch layout once per schema: a later batch of the same schema with nulls in a column leaves that column to addBatch', () => {
    const t = table(2 * BATCH, { nullRows: [BATCH + 3] });
    const [first, second] = t.batches;
    const again = new RecordBatch(first.schema, second.data); // the same schema object, g with a null
    expect(again.getChild('g')!.nullCount).toBe(1);
    const drift = new DriftAccumulator(profile, 'sha256:x');
    const inputs: InputSpec[] = [{ name: 'input', elemType: 'float32', shape: [null, 7] }];
    const planner = new FeedCountPlanner(drift, FEATURES, inputs, new Set(['input']));
    const fb = { tensors: new Map(), keep: null, rows: BATCH, skipped: 0, valuesSeen: false };
    const shared = { input: { type: 'float32', rows: BATCH, columns: Array.from({ length: 7 }, () => new Float32Array(BATCH)) } };
    const names = (b: RecordBatch) => planner.plan(b, fb, shared)!.names;
    expect(names(first)).toEqual([['a', 'e', 'g']]);
    expect(names(again)).toEqual([['a', 'e']]);
    expect(names(first)).toEqual([['a', 'e', 'g']]);
    expect(planner.plan(first, fb, shared)!.columns).toEqual(new Set(['a', 'e', 'g']));
    // a feed of another width is not counted by the thread
    expect(planner.plan(first, fb, { input: { ...shared.input, columns: shared.input.columns.slice(1) } })).toBeNull();
  });

  // the shared path (Arrow output: read into shared buffers, the thread copies the columns, outputs come back [k, N]),
  // the copy path with [k, N] outputs (Parquet output), and the copy path as it was (ORTQ_PREDICT_PATH=copy)
  const paths = [
    { name: 'shared', format: 'arrow', env: 'shared' },
    { name: 'copy-transposed', format: 'parquet', env: 'shared' },
    { name: 'copy', format: 'parquet', env: 'copy' },
  ] as const;

  // every kernel counts the same (test/monitor/simd-bins.test.ts checks each path alone): the native addon where it is
  // built (else the WebAssembly kernel again), and the WebAssembly kernel. The inference thread reads
  // ORTQ_DRIFT_KERNEL when it starts, and there is one thread per model digest: each kernel gets its own model.
  const KERNELS = ['native', 'wasm'] as const;
  it.each(KERNELS.flatMap((kernel, k) => [
    ['m', 'with a list column', kernel, FEATURES, [7, 5, 3], 10 + k],
    ['flat', 'plain columns only', kernel, FLAT, [5, 4, 3], 20 + k],
  ] as const))('a run of %s counts exactly the float64 definition (edges, float32 neighbours, NaN, ±∞, nulls, careful batches), and every path counts the same (%s, ORTQ_DRIFT_KERNEL=%s)', async (name, _, kernel, features, sizes, modelSeed) => {
    const savedKernel = process.env.ORTQ_DRIFT_KERNEL;
    process.env.ORTQ_DRIFT_KERNEL = kernel;
    resetSimdBins();
    try {
      const model = `${name}-${kernel}:1`;
      await writeFile(join(dir, `${name}-${kernel}.onnx`), mlpModel({ sizes: [...sizes], seed: modelSeed }).bytes);
      await repo.save(`${name}-${kernel}`, join(dir, `${name}-${kernel}.onnx`), { version: '1' });
      await repo.attachProfile(model, await profileFromData({ repo, model, data: join(dir, 'ref.arrow'), features }));
      await runAndCheck(model, features);
    } finally {
      if (savedKernel === undefined) delete process.env.ORTQ_DRIFT_KERNEL;
      else process.env.ORTQ_DRIFT_KERNEL = savedKernel;
      resetSimdBins();
    }
  });

  async function runAndCheck(model: string, features: Record<string, string[]>): Promise<void> {
    const profile = (await repo.profile(model))!.profile;
    const edgesOf = (col: string): number[] => {
      const p = profile.features[col];
      if (p?.kind !== 'numeric') throw new Error(`${col} is not profiled as numeric`);
      return p.edges;
    };
    const edges = Object.fromEntries(['a', 'e', 'g', 'b'].map((c) => [c, edgesOf(c)]));
    // nulls in g in the second batch only: that batch takes the careful path, the others the fast one
    const data = table(N, { edges, nullRows: [BATCH + 3, BATCH + 100] });
    await writeFile(join(dir, 'run.arrow'), tableToIPC(data, 'file'));
    const sets: HistogramSet[] = [];
    const saved = process.env.ORTQ_PREDICT_PATH;
    try {
      for (const p of paths) {
        process.env.ORTQ_PREDICT_PATH = p.env;
        const job = parseJob({ name: `r-${p.name}`, model, input: { path: join(dir, 'run.arrow') }, features, output: { path: `out/${model}-${p.name}`, format: p.format }, batchSize: BATCH, nulls: 'skip' }, { baseDir: dir });
        const { plan } = await runLocal(job, { repo });
        const shards = join(plan.runDir, '_shards');
        const files = (await readdir(shards)).filter((n) => n.endsWith('.json'));
        expect(files).toHaveLength(1);
        sets.push((JSON.parse(await readFile(join(shards, files[0]), 'utf8')) as { detail: { histograms: HistogramSet } }).detail.histograms);
      }
    } finally {
      if (saved === undefined) delete process.env.ORTQ_PREDICT_PATH;
      else process.env.ORTQ_PREDICT_PATH = saved;
    }
    for (const [i, set] of sets.entries()) {
      expect(set.rows).toBe(N);
      for (const col of PROFILED) {
        const p = profile.features[col];
        if (p.kind !== 'numeric') continue;
        expect([paths[i].name, col, set.features[col]]).toEqual([paths[i].name, col, reference(p.edges, data.getChild(col)!)]);
      }
      // outputs: the scores and argmax classes, whichever layout they came back in
      expect(Object.keys(set.outputs).length).toBeGreaterThan(3);
      expect([paths[i].name, set.outputs, set.outputRows]).toEqual([paths[i].name, sets[2].outputs, sets[2].outputRows]);
    }
  }
});
