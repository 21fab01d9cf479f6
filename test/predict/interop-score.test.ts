import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { pino } from 'pino';
import { tableFromIPC, Type, type Field } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectInput } from '../../src/io/inspect.js';
import { closeParquetWorkers } from '../../src/io/parquet-host.js';
import { linearModel, type LinearModel } from '../../src/onnx/model-zoo.js';
import { parseJob } from '../../src/predict/job-spec.js';
import { runLocal } from '../../src/predict/local-run.js';
import type { InputFormat } from '../../src/predict/types.js';
import { ModelRepository } from '../../src/repo/model-repository.js';
import { readRunRows } from '../helpers/datasets.js';
import { INTEROP } from '../helpers/interop.js';

/**
 * Issue 3, "done when": the golden files in shared/interop/arrow and
 * shared/interop/parquet that hold numeric columns can be scored. For each
 * file a linear model is built over its top-level int/float columns; its
 * predictions are checked against x·W+b computed here from values read
 * without ortq (the integration JSON for Arrow, parquet-wasm for Parquet).
 */

const require = createRequire(import.meta.url);
const pw = require('parquet-wasm') as typeof import('parquet-wasm');


const ARROW = join(INTEROP, 'arrow');
const PARQUET = join(INTEROP, 'parquet');

/** Golden files without a top-level int/float column: nothing to feed a numeric model. */
const NO_NUMERIC: Record<string, string> = {
  'generated_datetime.arrow_file': 'dates, times and timestamps only',
  'generated_datetime.stream': 'dates, times and timestamps only',
  'generated_decimal.arrow_file': 'decimals only',
  'generated_decimal.stream': 'decimals only',
  'generated_dictionary.arrow_file': 'dictionary-encoded columns only',
  'generated_dictionary.stream': 'dictionary-encoded columns only',
  'generated_null_trivial.arrow_file': 'a Null column only',
  'generated_null_trivial.stream': 'a Null column only',
  'large_string_map.brotli.parquet': 'a map column only',
  'nulls.snappy.parquet': 'a struct column only (its Int32 is nested)',
};

interface Case { name: string; path: string; format: InputFormat }

const cases: Case[] = [
  ...readdirSync(ARROW).filter((f) => f.endsWith('.arrow_file')).map((f) => ({ name: f, path: join(ARROW, f), format: 'arrow' as const })),
  ...readdirSync(ARROW).filter((f) => f.endsWith('.stream')).map((f) => ({ name: f, path: join(ARROW, f), format: 'arrows' as const })),
  ...readdirSync(PARQUET).filter((f) => f.endsWith('.parquet')).map((f) => ({ name: f, path: join(PARQUET, f), format: 'parquet' as const })),
].sort((a, b) => a.name.localeCompare(b.name));

/** Top-level integer and floating-point columns (any width, half floats included); no lists, dictionaries, decimals. */
function isNumeric(f: Field): boolean {
  return f.type.typeId === Type.Int || f.type.typeId === Type.Float;
}

/** Column values read outside ortq: null for a null slot, a number (or bigint → string for 64-bit ints) otherwise. */
type Columns = Map<string, Array<number | string | null>>;

interface JsonColumn { name: string; count: number; VALIDITY?: number[]; DATA?: unknown[] }
interface JsonFile { batches: Array<{ count: number; columns: JsonColumn[] }> }

function valuesFromJson(goldenName: string, cols: string[]): Columns {
  const stem = goldenName.replace(/\.(arrow_file|stream)$/, '');
  const json = JSON.parse(gunzipSync(readFileSync(join(ARROW, `${stem}.json.gz`))).toString('utf8')) as JsonFile;
  const out: Columns = new Map(cols.map((c) => [c, []]));
  for (const b of json.batches) {
    for (const name of cols) {
      const c = b.columns.find((x) => x.name === name)!;
      for (let i = 0; i < c.count; i++) {
        const valid = !c.VALIDITY || c.VALIDITY[i] !== 0;
        const v = c.DATA?.[i];
        out.get(name)!.push(valid && v !== undefined ? (typeof v === 'string' ? v : Number(v)) : null);
      }
    }
  }
  return out;
}

function valuesFromParquet(path: string, cols: string[]): Columns {
  const table = tableFromIPC(pw.readParquet(readFileSync(path)).intoIPCStream());
  const out: Columns = new Map();
  for (const name of cols) {
    const vec = table.getChild(name)!;
    const vals: Array<number | string | null> = [];
    for (let i = 0; i < vec.length; i++) {
      const v = vec.get(i) as number | bigint | null;
      vals.push(v === null ? null : typeof v === 'bigint' ? v.toString() : v);
    }
    out.set(name, vals);
  }
  return out;
}

/** Fills null/NaN with 0 (the job's `nulls: {fill: 0}`), rounds to float32 as the model input does. */
function feature(v: number | string | null): number {
  if (v === null) return 0;
  const n = Number(v);
  return Number.isNaN(n) ? 0 : Math.fround(n);
}

/**
 * Compares a prediction to x·W+b in float64. The model sums in float32, so the
 * error bound scales with the size of the terms summed (Σ|x·w|), not only the result.
 */
function expectPrediction(got: number, m: LinearModel, x: number[], row: number): void {
  let ref = m.bias[0];
  let mag = Math.abs(m.bias[0]);
  for (let j = 0; j < x.length; j++) {
    ref += x[j] * m.weights[j];
    mag += Math.abs(x[j] * m.weights[j]);
  }
  if (!Number.isFinite(ref)) {
    expect(Object.is(got, ref) || (Number.isNaN(got) && Number.isNaN(ref)), `row ${row}: got ${got}, expected ${ref}`).toBe(true);
    return;
  }
  const tol = 1e-3 * Math.max(1, Math.abs(ref)) + 1e-6 * mag;
  expect(Math.abs(got - ref), `row ${row}: got ${got}, expected ${ref}`).toBeLessThanOrEqual(tol);
}

/** A passthrough value as written, against the value read outside ortq. */
function expectSameValue(got: unknown, want: number | string | null, col: string, row: number): void {
  const where = `${col}[${row}]`;
  if (want === null) return void expect(got ?? null, where).toBeNull();
  if (typeof got === 'bigint' || typeof want === 'string') return void expect(String(got), where).toBe(String(want));
  if (Number.isNaN(want)) return void expect(Number.isNaN(got as number), where).toBe(true);
  // a float32 column round-trips float32 values; the JSON holds them in decimal
  expect(Math.fround(got as number), where).toBe(Math.fround(want));
}

let dir: string;
let repo: ModelRepository;
const prevHome = process.env.ORTQ_HOME;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ortq-interop-score-'));
  process.env.ORTQ_HOME = join(dir, 'home');
  repo = new ModelRepository({ root: join(dir, 'repo'), logger: pino({ level: 'silent' }) });
});

afterAll(() => {
  closeParquetWorkers();
  if (prevHome === undefined) delete process.env.ORTQ_HOME;
  else process.env.ORTQ_HOME = prevHome;
  rmSync(dir, { recursive: true, force: true });
});

describe('scoring the interop golden files', () => {
  it('finds every golden file, and the skipped ones really hold no numeric column', async () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    for (const name of Object.keys(NO_NUMERIC)) expect(cases.some((c) => c.name === name), name).toBe(true);
  });

  it.each(cases.map((c, i) => [c.name, c, i] as const))('%s', { timeout: 30_000 }, async (_name, c, index) => {
    const st = statSync(c.path);
    const layout = await inspectInput({ path: c.path, format: c.format, size: st.size, mtimeMs: st.mtimeMs });
    const cols = layout.schema.fields.filter(isNumeric).map((f) => f.name);
    if (NO_NUMERIC[c.name]) {
      expect(cols, `${c.name} is listed as having no numeric column`).toEqual([]);
      return;
    }
    expect(cols.length, `${c.name} has no numeric column; list it in NO_NUMERIC`).toBeGreaterThan(0);

    const model = linearModel({ features: cols.length, seed: 100 + index });
    const modelName = `golden-${index}`;
    writeFileSync(join(dir, `${modelName}.onnx`), model.bytes);
    await repo.save(modelName, join(dir, `${modelName}.onnx`));
    const job = parseJob({
      name: `golden-${index}`,
      model: modelName,
      input: { path: c.path, format: c.format },
      features: { input: cols },
      passthrough: cols, // every feature column is also copied through, to check how ortq read it
      output: { path: join(dir, 'out', String(index)) },
      nulls: { fill: 0 },
      batchSize: 64,
    }, { baseDir: dir });
    const { manifest, plan } = await runLocal(job, { repo });

    const source = c.format === 'parquet' ? valuesFromParquet(c.path, cols) : valuesFromJson(c.name, cols);
    const n = source.get(cols[0])!.length;
    expect(manifest.status).toBe('completed');
    expect(manifest.rows).toEqual({ read: n, written: n, skipped: 0 });

    const rows = await readRunRows(plan.runDir);
    expect(rows).toHaveLength(n);
    for (let i = 0; i < n; i++) {
      const x = cols.map((col) => feature(source.get(col)![i]));
      expectPrediction(Number(rows[i].output), model, x, i);
      for (const col of cols) expectSameValue(rows[i][col], source.get(col)![i], col, i);
    }
  });
});
