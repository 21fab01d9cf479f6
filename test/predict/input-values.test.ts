import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isOrtqError, type OrtqError } from '../../src/errors.js';
import { inferCsvLayout } from '../../src/io/csv.js';
import { discoverInputs } from '../../src/io/discover.js';
import { GraphBuilder } from '../../src/onnx/builder.js';
import { linearModel } from '../../src/onnx/model-zoo.js';
import { DataType } from '../../src/onnx/proto.js';
import { parseJob } from '../../src/predict/job-spec.js';
import { runLocal } from '../../src/predict/local-run.js';
import { ModelRepository } from '../../src/repo/model-repository.js';
import { readRunRows } from '../helpers/datasets.js';

/**
 * Input values a careful operator expects ortq to notice (issue 11, items 7–9):
 * non-finite numbers follow the nulls: policy, CSV integers stay exact, a
 * header-only CSV scores zero rows, a dangling symlink is an error.
 */

let dir: string;
let repo: ModelRepository;
const prevHome = process.env.ORTQ_HOME;
const lin = linearModel({ features: 2, seed: 5 });

/** int64 [N,1] in, the same int64 [N,1] out: shows whether an id reaches the model exactly. */
function int64Identity(): Uint8Array {
  const g = new GraphBuilder();
  g.input('x', DataType.INT64, [null, 1]);
  g.node('Identity', ['x'], ['y']);
  g.output('y', DataType.INT64, [null, 1]);
  return g.build();
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ortq-values-'));
  process.env.ORTQ_HOME = join(dir, 'home');
  repo = new ModelRepository({ root: join(dir, 'repo') });
  await writeFile(join(dir, 'lin.onnx'), lin.bytes);
  await repo.save('lin', join(dir, 'lin.onnx'));
  await writeFile(join(dir, 'id64.onnx'), int64Identity());
  await repo.save('id64', join(dir, 'id64.onnx'));
});

afterAll(async () => {
  if (prevHome === undefined) delete process.env.ORTQ_HOME;
  else process.env.ORTQ_HOME = prevHome;
  await rm(dir, { recursive: true, force: true });
});

async function csv(name: string, text: string): Promise<string> {
  const path = join(dir, 'data', name);
  await mkdir(join(dir, 'data'), { recursive: true });
  await writeFile(path, text);
  return path;
}

function job(over: Record<string, unknown>) {
  return parseJob({
    name: 'values', model: 'lin', features: { input: ['f0', 'f1'] }, passthrough: ['id'],
    output: { path: 'out', format: 'arrow' }, ...over,
  }, { baseDir: dir });
}

async function failure(p: Promise<unknown>): Promise<OrtqError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err, 'expected a failure').toBeInstanceOf(Error);
  return err as OrtqError;
}

const BIG = '1' + '0'.repeat(400); // more digits than any double holds: parses to Infinity

describe('non-finite feature values follow the nulls: policy', () => {
  for (const [i, [label, value, shown]] of ([
    ['inf', 'inf', 'Infinity'],
    ['-Infinity', '-Infinity', '-Infinity'],
    ['1e308 (beyond float32)', '1e308', '1e+308, too large for float32'],
    ['a 401-digit number', BIG, 'Infinity'],
  ] as const).entries()) {
    it(`nulls: error names the row and column of ${label}`, async () => {
      const name = `bad-${i}.csv`;
      await csv(name, `id,f0,f1\n1,0.5,1\n2,0.25,2\n3,-1,${value}\n4,2,2\n`);
      const err = await failure(runLocal(job({ name: `err-${name}`, input: { path: `data/${name}` }, output: { path: `out/${name}` } }), { repo }));
      expect(isOrtqError(err, 'ORTQ_NULL_VALUE'), String(err)).toBe(true);
      expect(err.message).toContain('row 2 column "f1"');
      expect(err.message).toContain(`is ${shown}`);
    });
  }

  const mixed = `id,f0,f1\n1,0.5,1\n2,inf,1\n3,1e308,1\n4,-Infinity,2\n5,${BIG},3\n6,0.25,4\n`;

  it('nulls: skip drops those rows', async () => {
    await csv('mixed-skip.csv', mixed);
    const { manifest, plan } = await runLocal(job({ name: 'skip', input: { path: 'data/mixed-skip.csv' }, nulls: 'skip', output: { path: 'out/skip' } }), { repo });
    expect(manifest.rows).toEqual({ read: 6, written: 2, skipped: 4 });
    expect((await readRunRows(plan.runDir)).map((r) => String(r.id))).toEqual(['1', '6']);
  });

  it('nulls: {fill: 0} replaces them', async () => {
    await csv('mixed-fill.csv', mixed);
    const { manifest, plan } = await runLocal(job({ name: 'fill', input: { path: 'data/mixed-fill.csv' }, nulls: { fill: 0 }, output: { path: 'out/fill' } }), { repo });
    expect(manifest.rows).toEqual({ read: 6, written: 6, skipped: 0 });
    const rows = await readRunRows(plan.runDir);
    const at = (f0: number, f1: number) => lin.bias[0] + Math.fround(f0) * lin.weights[0] + Math.fround(f1) * lin.weights[1];
    const expected = [at(0.5, 1), at(0, 1), at(0, 1), at(0, 2), at(0, 3), at(0.25, 4)];
    rows.forEach((r, i) => expect(Number(r.output)).toBeCloseTo(expected[i], 5));
  });
});

describe('CSV integer columns are Int64 and exact', () => {
  const ids = ['9007199254740993', '-9223372036854775808', '9223372036854775807', '42'];
  const text = `id,x,f\n${ids.map((id, i) => `${id},${id},${i}.5`).join('\n')}\n`;

  it('infers Int64 for whole numbers, Float64 for decimals and for integers beyond int64', async () => {
    const path = await csv('types.csv', 'a,b,c,d\n1,1.5,99999999999999999999,-3\n2,2,1,+4\n');
    const { schema } = await inferCsvLayout(path);
    expect(schema.fields.map((f) => [f.name, Type[f.type.typeId], (f.type as { bitWidth?: number }).bitWidth ?? null]))
      .toEqual([['a', 'Int', 64], ['b', 'Float', null], ['c', 'Float', null], ['d', 'Int', 64]]);
  });

  it('passthrough ids round-trip exactly (Arrow and CSV output)', async () => {
    await csv('ids.csv', text);
    for (const format of ['arrow', 'csv'] as const) {
      const { plan } = await runLocal(job({
        name: `ids-${format}`, model: 'id64', input: { path: 'data/ids.csv' }, features: { x: ['x'] },
        output: { path: `out/ids-${format}`, format },
      }), { repo });
      const rows = await readRunRows(plan.runDir);
      expect(rows.map((r) => String(r.id))).toEqual(ids);
      // and as a feature: the int64 model input receives every digit
      expect(rows.map((r) => String(r.y))).toEqual(ids);
      if (format === 'csv') expect(await readFile(join(plan.runDir, 'part-00000.csv'), 'utf8')).toContain('9007199254740993,9007199254740993');
    }
  });

  it('an Int64 column feeds a float input', async () => {
    await csv('intfeat.csv', 'id,f0,f1\n1,3,-2\n2,0,7\n');
    const { plan } = await runLocal(job({ name: 'intfeat', input: { path: 'data/intfeat.csv' }, output: { path: 'out/intfeat' } }), { repo });
    const rows = await readRunRows(plan.runDir);
    expect(Number(rows[0].output)).toBeCloseTo(lin.bias[0] + 3 * lin.weights[0] - 2 * lin.weights[1], 5);
    expect(Number(rows[1].output)).toBeCloseTo(lin.bias[0] + 7 * lin.weights[1], 5);
  });

  it('a later non-integer in an Int64 column fails naming the line and column', async () => {
    const lines = ['id,f0,f1', ...Array.from({ length: 1200 }, (_, i) => `${i},${i},1`), '1200,0.5,1'];
    await csv('late-float.csv', lines.join('\n') + '\n');
    const err = await failure(runLocal(job({ name: 'late', input: { path: 'data/late-float.csv' }, output: { path: 'out/late' } }), { repo }));
    expect(isOrtqError(err, 'ORTQ_INPUT_CORRUPT'), String(err)).toBe(true);
    expect(err.message).toContain('line 1202, column "f0"');
  });
});

describe('header-only CSV', () => {
  it('scores zero rows, like a zero-row Parquet file', async () => {
    await csv('empty.csv', 'id,f0,f1\n');
    const { manifest } = await runLocal(job({ name: 'empty', input: { path: 'data/empty.csv' }, output: { path: 'out/empty' } }), { repo });
    expect(manifest.status).toBe('completed');
    expect(manifest.rows).toEqual({ read: 0, written: 0, skipped: 0 });
  });

  it('still reports a missing column', async () => {
    await csv('empty-missing.csv', 'id,f0\n');
    const err = await failure(runLocal(job({ name: 'empty2', input: { path: 'data/empty-missing.csv' }, output: { path: 'out/empty2' } }), { repo }));
    expect(isOrtqError(err, 'ORTQ_SCHEMA_MISMATCH'), String(err)).toBe(true);
    expect(err.message).toContain('"f1"');
  });
});

describe('input directories', () => {
  it('a dangling symlink is ORTQ_INPUT_NOT_FOUND naming it; a link to a file is an input', async () => {
    const d = join(dir, 'links');
    await mkdir(d, { recursive: true });
    await writeFile(join(d, 'a.csv'), 'id,f0,f1\n1,1,1\n');
    await symlink(join(d, 'a.csv'), join(d, 'b.csv'));
    expect((await discoverInputs(d)).map((f) => f.path)).toEqual([join(d, 'a.csv'), join(d, 'b.csv')]);
    await symlink(join(d, 'gone.csv'), join(d, 'c.csv'));
    const err = await failure(discoverInputs(d));
    expect(isOrtqError(err, 'ORTQ_INPUT_NOT_FOUND'), String(err)).toBe(true);
    expect(err.message).toContain(join(d, 'c.csv'));
    expect(err.message).toContain('gone.csv');
  });
});
