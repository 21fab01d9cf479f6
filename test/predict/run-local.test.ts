import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isOrtqError } from '../../src/errors.js';
import { linearModel, mlpModel, twoInputModel, zipMapClassifier } from '../../src/onnx/model-zoo.js';
import { parseJob } from '../../src/predict/job-spec.js';
import { runLocal } from '../../src/predict/local-run.js';
import { ModelRepository } from '../../src/repo/model-repository.js';
import { featureMatrix, makeTable, readRunRows, writeTable } from '../helpers/datasets.js';
import { classifierRef, expectClose, linearRef, mlpRef, twoInputRef } from '../helpers/reference.js';

const F = 6;
const ROWS = 2500; // per file, two files per format
const FORMATS = ['parquet', 'arrow', 'arrows', 'csv'] as const;
const EXT = { parquet: 'parquet', arrow: 'arrow', arrows: 'arrows', csv: 'csv' } as const;
const featureCols = Array.from({ length: F }, (_, j) => `f${j}`);

let dir: string;
let repo: ModelRepository;
const models = {
  linear: linearModel({ features: F, seed: 11 }),
  mlp: mlpModel({ sizes: [F, 8, 4], seed: 12 }),
  two: twoInputModel({ features: F, categories: ['a', 'b', 'c'], seed: 13 }),
  clf: zipMapClassifier({ features: F, classes: ['cat', 'dog', 'eel'], seed: 14 }),
};
const tables = [makeTable({ rows: ROWS, features: F }), makeTable({ rows: ROWS, features: F, startId: ROWS })];
const x = [featureMatrix(tables[0], featureCols), featureMatrix(tables[1], featureCols)];

const savedHome = process.env.ORTQ_HOME;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ortq-run-'));
  process.env.ORTQ_HOME = join(dir, 'home');
  repo = new ModelRepository({ root: join(dir, 'repo') });
  for (const [name, m] of Object.entries(models)) {
    const file = join(dir, `${name}.onnx`);
    await writeFile(file, m.bytes);
    await repo.save(name, file, { aliases: ['champion'] });
  }
  for (const fmt of FORMATS) {
    for (let f = 0; f < 2; f++) await writeTable(join(dir, 'data', fmt, `in-${f}.${EXT[fmt]}`), tables[f], fmt, { rowGroupSize: 700 });
  }
});

afterAll(async () => {
  if (savedHome === undefined) delete process.env.ORTQ_HOME;
  else process.env.ORTQ_HOME = savedHome;
  if (dir) await rm(dir, { recursive: true, force: true });
});

function job(over: Record<string, unknown>) {
  return parseJob({ name: 'score', model: 'linear@champion', input: { path: 'data/parquet' }, features: { input: featureCols }, passthrough: ['id'], output: { path: 'out' }, batchSize: 512, ...over }, { baseDir: dir });
}

function byId(rows: Array<Record<string, unknown>>): Map<number, Record<string, unknown>> {
  const m = new Map<number, Record<string, unknown>>();
  for (const r of rows) {
    const id = Number(r.id);
    if (m.has(id)) throw new Error(`id ${id} twice`);
    m.set(id, r);
  }
  return m;
}

describe.each(FORMATS)('ortq run from %s', (fmt) => {
  const input = { path: `data/${fmt}` };

  it('linear: every row once, equal to the reference', async () => {
    const { manifest, plan } = await runLocal(job({ name: `lin-${fmt}`, input, output: { path: `out/lin-${fmt}` } }), { repo, shardRows: 1000 });
    expect(manifest.status).toBe('completed');
    expect(manifest.rows).toEqual({ read: 2 * ROWS, written: 2 * ROWS, skipped: 0 });
    const rows = byId(await readRunRows(plan.runDir));
    expect(rows.size).toBe(2 * ROWS);
    for (let f = 0; f < 2; f++) {
      const ref = linearRef(models.linear, x[f], ROWS);
      const got = Array.from({ length: ROWS }, (_, i) => Number(rows.get(f * ROWS + i)!.output));
      expectClose(got, ref);
    }
  });

  it('MLP: [N,10]-style outputs become output_<i> columns', async () => {
    const { plan } = await runLocal(job({ name: `mlp-${fmt}`, model: 'mlp', input, output: { path: `out/mlp-${fmt}` } }), { repo });
    const rows = byId(await readRunRows(plan.runDir));
    const ref = mlpRef(models.mlp, x[1], ROWS);
    const got: number[] = [];
    for (let i = 0; i < ROWS; i++) for (let o = 0; o < 4; o++) got.push(Number(rows.get(ROWS + i)![`output_${o}`]));
    expectClose(got, ref);
  });

  it('two inputs (numeric + string)', async () => {
    const { plan } = await runLocal(job({ name: `two-${fmt}`, model: 'two@champion', input, features: { x: featureCols, category: ['cat'] }, output: { path: `out/two-${fmt}` } }), { repo });
    const rows = byId(await readRunRows(plan.runDir));
    const cats = tables[0].getChild('cat')!.toArray() as string[];
    const ref = twoInputRef(models.two, x[0], Array.from(cats), ROWS);
    expectClose(Array.from({ length: ROWS }, (_, i) => Number(rows.get(i)!.score)), ref);
  });

  it('ZipMap classifier: probabilities per class label, and the label', async () => {
    const { plan } = await runLocal(job({ name: `clf-${fmt}`, model: 'clf', input, features: { float_input: featureCols }, output: { path: `out/clf-${fmt}` } }), { repo });
    const rows = byId(await readRunRows(plan.runDir));
    const ref = classifierRef(models.clf, x[0], ROWS);
    const first = rows.get(0)!;
    const probCols = Object.keys(first).filter((k) => /_(cat|dog|eel)$/.test(k));
    expect(probCols).toHaveLength(3);
    const got: number[] = [];
    for (let i = 0; i < ROWS; i++) for (const c of probCols) got.push(Number(rows.get(i)![c]));
    expectClose(got, ref.probs);
    expect(Array.from({ length: ROWS }, (_, i) => rows.get(i)!.output_label)).toEqual(ref.labels);
  });
});

describe('output shaping', () => {
  it('renames an output and writes [N,K] as one list column with as: list', async () => {
    const { plan } = await runLocal(job({
      name: 'shape', model: 'mlp', output: { path: 'out/shape', format: 'arrow' },
      outputs: { output: { as: 'list', rename: 'scores' } },
    }), { repo });
    const rows = byId(await readRunRows(plan.runDir));
    const first = rows.get(0)!;
    expect(Object.keys(first)).toEqual(['id', 'scores']);
    const ref = mlpRef(models.mlp, x[0], ROWS);
    const got: number[] = [];
    for (let i = 0; i < ROWS; i++) got.push(...Array.from(rows.get(i)!.scores as ArrayLike<number>));
    expectClose(got, ref);
  });
});

describe('idempotent runs', () => {
  it('a rerun is a no-op; --force rewrites byte-identical part files; a new model gives a new run', async () => {
    const j = job({ name: 'idem', output: { path: 'out/idem' } });
    const first = await runLocal(j, { repo, shardRows: 1000 });
    const parts = (await readdir(first.plan.runDir)).filter((n) => n.startsWith('part-')).sort();
    expect(parts.length).toBeGreaterThan(1);
    const bytes = await Promise.all(parts.map((p) => readFile(join(first.plan.runDir, p))));
    const again = await runLocal(j, { repo, shardRows: 1000 });
    expect(again.reused).toBe(true);
    expect(again.manifest.runId).toBe(first.manifest.runId);
    const forced = await runLocal(j, { repo, shardRows: 1000, force: true });
    expect(forced.reused).toBe(false);
    expect(forced.manifest.runId).toBe(first.manifest.runId);
    const after = await Promise.all(parts.map((p) => readFile(join(first.plan.runDir, p))));
    after.forEach((b, i) => expect(b.equals(bytes[i])).toBe(true));
    const file = join(dir, 'linear2.onnx');
    await writeFile(file, linearModel({ features: F, seed: 99 }).bytes);
    await repo.save('linear', file, { aliases: ['champion'] });
    const third = await runLocal(j, { repo, shardRows: 1000 });
    expect(third.manifest.runId).not.toBe(first.manifest.runId);
    expect(JSON.parse(await readFile(join(first.plan.runDir, 'run.json'), 'utf8')).status).toBe('completed');
    const latest = JSON.parse(await readFile(join(dir, 'out/idem/_latest.json'), 'utf8'));
    expect(latest.runId).toBe(third.manifest.runId);
  });
});

describe('bad input', () => {
  it('a missing column fails with ORTQ_SCHEMA_MISMATCH before anything is written', async () => {
    const err = await runLocal(job({ name: 'miss', features: { input: [...featureCols.slice(0, 5), 'nope'] }, output: { path: 'out/miss' } }), { repo }).catch((e) => e);
    expect(isOrtqError(err, 'ORTQ_SCHEMA_MISMATCH')).toBe(true);
    expect(err.message).toContain('"nope"');
    expect(err.message).toContain('model expects');
  });

  it('a string column for a numeric input, and a wrong column count, fail with ORTQ_SCHEMA_MISMATCH', async () => {
    const e1 = await runLocal(job({ name: 'strcol', features: { input: [...featureCols.slice(0, 5), 'cat'] }, output: { path: 'out/s' } }), { repo }).catch((e) => e);
    expect(isOrtqError(e1, 'ORTQ_SCHEMA_MISMATCH')).toBe(true);
    expect(e1.message).toMatch(/"cat" is .*Utf8/);
    const e2 = await runLocal(job({ name: 'width', features: { input: featureCols.slice(0, 4) }, output: { path: 'out/w' } }), { repo }).catch((e) => e);
    expect(e2.message).toContain(`takes ${F} value(s) per row but 4`);
  });

  it('nulls: error names the row and column; skip drops and counts; fill substitutes', async () => {
    const csv = ['id,' + featureCols.join(',')];
    for (let i = 0; i < 10; i++) csv.push([i, ...featureCols.map((_, j) => (i === 3 && j === 2 ? '' : String(i + j)))].join(','));
    await writeFile(join(dir, 'nulls.csv'), csv.join('\n') + '\n');
    const base = { input: { path: 'nulls.csv' } };
    const e = await runLocal(job({ name: 'nul-e', ...base, output: { path: 'out/ne' } }), { repo }).catch((err) => err);
    expect(isOrtqError(e, 'ORTQ_NULL_VALUE')).toBe(true);
    expect(e.message).toMatch(/row 3 column "f2"/);
    const skip = await runLocal(job({ name: 'nul-s', ...base, nulls: 'skip', output: { path: 'out/ns' } }), { repo });
    expect(skip.manifest.rows).toEqual({ read: 10, written: 9, skipped: 1 });
    const rows = await readRunRows(skip.plan.runDir);
    expect(rows.map((r) => Number(r.id))).toEqual([0, 1, 2, 4, 5, 6, 7, 8, 9]);
    // a model of its own: linear@champion moves in another test
    const fillModel = linearModel({ features: F, seed: 21 });
    await writeFile(join(dir, 'fill.onnx'), fillModel.bytes);
    await repo.save('fill', join(dir, 'fill.onnx'));
    const fill = await runLocal(job({ name: 'nul-f', model: 'fill', ...base, nulls: { fill: 0 }, output: { path: 'out/nf' } }), { repo });
    expect(fill.manifest.rows.written).toBe(10);
    // the filled value is what the model saw: row 3 scores as if f2 were 0
    const x3 = Float64Array.from(featureCols, (_, j) => (j === 2 ? 0 : 3 + j));
    const filled = (await readRunRows(fill.plan.runDir)).find((r) => Number(r.id) === 3)!;
    expectClose([Number(filled.output)], linearRef(fillModel, x3, 1));
  });
});
