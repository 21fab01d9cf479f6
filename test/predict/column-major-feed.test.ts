import { FixedSizeList, Field, Float32, Float64, Int32, makeData, makeVector, RecordBatch, Schema, Struct, type Vector } from 'apache-arrow';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isOrtqError } from '../../src/errors.js';
import { linearModel, mlpModel } from '../../src/onnx/model-zoo.js';
import { parseJob } from '../../src/predict/job-spec.js';
import { runLocal } from '../../src/predict/local-run.js';
import { ModelRepository } from '../../src/repo/model-repository.js';
import { makeTable, readRunRows, writeTable } from '../helpers/datasets.js';
import { expectClose, linearRef } from '../helpers/reference.js';
import { buildFeatures, FeatureScratch, type InputSpec } from '../../src/predict/features.js';
import { InferenceThread } from '../../src/predict/inference-client.js';

function batchOf(cols: Record<string, Vector>): RecordBatch {
  const fields = Object.entries(cols).map(([n, v]) => new Field(n, v.type, true));
  return new RecordBatch(new Schema(fields), makeData({ type: new Struct(fields), length: Object.values(cols)[0].length, nullCount: 0, children: Object.values(cols).map((v) => v.data[0]) }));
}

const N = 300;
const f32 = (seed: number) => makeVector(Float32Array.from({ length: N }, (_, i) => Math.cos(i * 0.1 + seed)));
const f64 = (seed: number) => makeVector(Float64Array.from({ length: N }, (_, i) => Math.sin(i * 0.3 + seed) * 7));
const i32 = (seed: number) => makeVector(Int32Array.from({ length: N }, (_, i) => (i * 7 + seed) % 13 - 6));
function list3(seed: number): Vector {
  const child = makeVector(Float32Array.from({ length: N * 3 }, (_, i) => Math.sin(i + seed)));
  const type = new FixedSizeList(3, new Field('item', new Float32(), false));
  return makeVector(makeData({ type, length: N, nullCount: 0, child: child.data[0] }));
}

/** Element (r, c) of a tensor laid out [N, k] (row-major) or [k, N] (column-major). */
function at(t: { data: ArrayLike<unknown>; dims: number[] }, r: number, c: number, cm: boolean): unknown {
  return cm ? t.data[c * t.dims[1] + r] : t.data[r * t.dims[1] + c];
}

describe('column-major feature batches', () => {
  const batch = batchOf({ a: f32(1), b: f64(2), c: i32(3), d: list3(4) });
  const features = { x: ['a', 'b', 'c', 'd'] };
  const spec = (elemType: string): InputSpec[] => [{ name: 'x', elemType, shape: [null, 6] }];

  it.each(['float32', 'float64'])('hold the same values as the row-major batch (%s input, float, double, int and list columns)', (elemType) => {
    const args = { batch, features, inputs: spec(elemType), nulls: 'error' as const, file: 'f', rowBase: 0 };
    const rm = buildFeatures(args).tensors.get('x')!;
    const fast = buildFeatures({ ...args, columnMajor: new Set(['x']), scratch: new FeatureScratch() });
    const careful = buildFeatures({ ...args, columnMajor: new Set(['x']), careful: true }).tensors.get('x')!;
    expect(rm.dims).toEqual([N, 6]);
    expect(fast.valuesSeen).toBe(false);
    const cm = fast.tensors.get('x')!;
    for (const t of [cm, careful]) {
      expect(t.dims).toEqual([6, N]);
      for (let r = 0; r < N; r++) for (let c = 0; c < 6; c++) expect(at(t, r, c, true)).toBe(at(rm, r, c, false));
    }
  });

  it('an integer input fed from float columns takes the careful path, which sees NaN', () => {
    const withNaN = f64(1);
    (withNaN.data[0].values as Float64Array)[5] = NaN;
    const b = batchOf({ a: withNaN });
    const args = { batch: b, features: { x: ['a'] }, inputs: [{ name: 'x', elemType: 'int32', shape: [null, 1] }], file: 'f.arrow', rowBase: 100, columnMajor: new Set(['x']) };
    expect(() => buildFeatures({ ...args, nulls: 'error' })).toThrow(/row 105 column "a"/);
    const skipped = buildFeatures({ ...args, nulls: 'skip' });
    expect(skipped.valuesSeen).toBe(true);
    expect([skipped.rows, skipped.skipped]).toEqual([N - 1, 1]);
    expect(skipped.tensors.get('x')!.dims).toEqual([1, N - 1]);
  });

  it('scores to the same bits as the row-major feed through the original model', async () => {
    const m = mlpModel({ sizes: [6, 5, 3], seed: 9 });
    const rmThread = new InferenceThread(m.bytes);
    const cmThread = new InferenceThread(m.bytes, undefined, { columnMajor: true });
    try {
      expect(Object.keys((await cmThread.ready).columnMajor)).toEqual(['input']);
      expect((await cmThread.ready).outputNames).toEqual(['output']);
      const args = { batch, features: { input: ['a', 'b', 'c', 'd'] }, inputs: [{ name: 'input', elemType: 'float32', shape: [null, 6] }], nulls: 'error' as const, file: 'f', rowBase: 0 };
      const feed = (fb: ReturnType<typeof buildFeatures>) => Object.fromEntries([...fb.tensors].map(([k, t]) => [k, t as { type: string; data: Float32Array; dims: number[] }]));
      const a = await rmThread.run(feed(buildFeatures(args)));
      const b = await cmThread.run(feed(buildFeatures({ ...args, columnMajor: new Set(['input']) })));
      expect(b.finite).toBe(true);
      expect(b.outputs.output.dims).toEqual(a.outputs.output.dims);
      expect(Array.from(b.outputs.output.data as Float32Array)).toEqual(Array.from(a.outputs.output.data as Float32Array));
      const nan = buildFeatures({ ...args, columnMajor: new Set(['input']) });
      (nan.tensors.get('input')!.data as Float32Array)[17] = NaN;
      expect((await cmThread.run(feed(nan))).finite).toBe(false);
    } finally {
      await Promise.all([rmThread.close(), cmThread.close()]);
    }
  });
});

describe('NaN in a batch the fast path copied unseen', () => {
  const F = 4;
  const cols = Array.from({ length: F }, (_, j) => `f${j}`);
  const model = linearModel({ features: F, seed: 5 });
  let dir: string;
  let repo: ModelRepository;
  const home = process.env.ORTQ_HOME;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ortq-cm-'));
    process.env.ORTQ_HOME = join(dir, 'home');
    repo = new ModelRepository({ root: join(dir, 'repo') });
    await writeFile(join(dir, 'm.onnx'), model.bytes);
    await repo.save('m', join(dir, 'm.onnx'));
    const table = makeTable({ rows: 50, features: F });
    // Float64 columns, no nulls: the fast path; row 33 of f1 is NaN
    (table.getChild('f1')!.data[0].values as Float64Array)[33] = NaN;
    await writeTable(join(dir, 'in.arrow'), table, 'arrow');
  });
  afterAll(async () => {
    process.env.ORTQ_HOME = home;
    await rm(dir, { recursive: true, force: true });
  });

  const job = (name: string, nulls: unknown) => parseJob({ name, model: 'm', input: { path: 'in.arrow' }, features: { input: cols }, passthrough: ['id'], nulls, output: { path: `out-${name}` }, batchSize: 16 }, { baseDir: dir });

  it('nulls: error names the row, skip drops it, fill scores it as the fill value', async () => {
    const e = await runLocal(job('e', 'error'), { repo }).catch((err) => err);
    expect(isOrtqError(e, 'ORTQ_NULL_VALUE')).toBe(true);
    expect(e.message).toMatch(/row 33 column "f1" is NaN/);
    const skip = await runLocal(job('s', 'skip'), { repo });
    expect(skip.manifest.rows).toEqual({ read: 50, written: 49, skipped: 1 });
    expect((await readRunRows(skip.plan.runDir)).map((r) => Number(r.id))).not.toContain(33);
    const fill = await runLocal(job('f', { fill: 0 }), { repo });
    const row = (await readRunRows(fill.plan.runDir)).find((r) => Number(r.id) === 33)!;
    const x = Float64Array.from(cols, (_, j) => (j === 1 ? 0 : Math.sin(33 * 0.37 + j * 1.3) * 3));
    expectClose([Number(row.output)], linearRef(model, x, 1));
  });
});
