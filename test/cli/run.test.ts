import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linearModel } from '../../src/onnx/model-zoo.js';
import { ModelRepository } from '../../src/repo/model-repository.js';
import { featureMatrix, makeTable, readRunRows, writeTable } from '../helpers/datasets.js';
import { expectClose, linearRef } from '../helpers/reference.js';
import { INTEROP } from '../helpers/interop.js';

/** `ortq run` and `ortq runs` as a user sees them: stdout, stderr, exit status. */

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin', 'ortq.js');
const F = 3;
const ROWS = 300;
const featureCols = Array.from({ length: F }, (_, j) => `f${j}`);
const model = linearModel({ features: F, seed: 21 });
const table = makeTable({ rows: ROWS, features: F });

let dir: string;
let digest: string;

interface Result { code: number | null; stdout: string; stderr: string }

function ortq(args: string[]): Result {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, ORTQ_HOME: join(dir, 'home'), ORTQ_LOG_FORMAT: 'json', ORTQ_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Builds dist/ (bin/ortq.js runs it) unless every source file is older than its output. */
/** Writes a job spec (YAML is a superset of JSON) and returns its name. */
function job(name: string, over: Record<string, unknown> = {}): string {
  const spec = {
    kind: 'predict', name, model: 'lin@champion', input: { path: 'data' }, features: { input: featureCols },
    passthrough: ['id'], output: { path: `out/${name}` }, batchSize: 128, ...over,
  };
  writeFileSync(join(dir, `${name}.yaml`), JSON.stringify(spec, null, 2));
  return `${name}.yaml`;
}

/** The CLI's error output: exactly one line. */
function errorLine(r: Result): string {
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  return lines[0];
}

beforeAll(async () => {
  expect(existsSync(join(ROOT, 'dist', 'cli', 'main.js'))).toBe(true);
  dir = mkdtempSync(join(tmpdir(), 'ortq-cli-run-'));
  writeFileSync(join(dir, 'lin.onnx'), model.bytes);
  // the CLI's default repository is ./.ortq/models under its working directory
  const repo = new ModelRepository({ root: join(dir, '.ortq', 'models'), logger: pino({ level: 'silent' }) });
  digest = (await repo.save('lin', join(dir, 'lin.onnx'), { aliases: ['champion'] })).digest;
  await writeTable(join(dir, 'data', 'a.parquet'), table, 'parquet', { rowGroupSize: 100 });
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ortq run', () => {
  let summary: {
    runId: string; status: string; rows: { read: number; written: number; skipped: number };
    outputs: string[]; manifest: string; model: { tag: string; digest: string };
  };

  it('--json prints only a JSON summary on stdout', () => {
    const r = ortq(['run', job('score'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    summary = JSON.parse(r.stdout);
    expect(summary.runId).toMatch(/^score-[0-9a-f]{20}$/);
    expect(summary.status).toBe('completed');
    expect(summary.rows).toEqual({ read: ROWS, written: ROWS, skipped: 0 });
    expect(summary.model.tag).toMatch(/^lin:/);
    expect(summary.model.digest).toBe(digest);
    expect(summary.outputs.length).toBeGreaterThan(0);
    for (const o of summary.outputs) expect(existsSync(o), o).toBe(true);
    expect(summary.manifest).toBe(join(dir, 'out', 'score', `run=${summary.runId}`, 'run.json'));
    expect(JSON.parse(readFileSync(summary.manifest, 'utf8')).runId).toBe(summary.runId);
  });

  it('predictions equal the reference', async () => {
    const rows = await readRunRows(join(dir, 'out', 'score', `run=${summary.runId}`));
    expect(rows.map((r) => Number(r.id))).toEqual(Array.from({ length: ROWS }, (_, i) => i));
    expectClose(rows.map((r) => Number(r.output)), linearRef(model, featureMatrix(table, featureCols), ROWS));
  });

  it('an identical rerun says so and does no work', () => {
    const r = ortq(['run', 'score.yaml']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`run ${summary.runId} already done: ${ROWS} rows written`);
    const j = JSON.parse(ortq(['run', 'score.yaml', '--json']).stdout);
    expect(j.reused).toBe(true);
    expect(j.runId).toBe(summary.runId);
  });

  it('--set overrides a field: output.format=csv', async () => {
    const r = ortq(['run', 'score.yaml', '--set', 'output.format=csv', '--set', 'output.path=out/csv', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.runId).not.toBe(summary.runId);
    expect(s.outputs.length).toBeGreaterThan(0);
    for (const o of s.outputs) expect(o).toMatch(/\/out\/csv\/run=[^/]+\/part-\d+\.csv$/);
    expect(readFileSync(s.outputs[0], 'utf8').split('\n')[0]).toBe('id,output');
    const rows = await readRunRows(join(dir, 'out', 'csv', `run=${s.runId}`));
    expect(rows).toHaveLength(ROWS);
  });

  it('a bad spec exits 2 with one ORTQ_JOB_INVALID line naming every problem by its path', () => {
    const file = job('bad', { name: 'Bad Name', model: undefined, output: { path: 'out/bad', format: 'xlsx' }, batchSize: -5, extra: true });
    const r = ortq(['run', file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const line = errorLine(r);
    expect(line).toMatch(/^error ORTQ_JOB_INVALID: bad\.yaml: /);
    for (const path of ['name:', 'model:', 'output.format:', 'batchSize:']) expect(line).toContain(path);
    expect(line).toContain('extra');
  });

  it('a bad --set value is reported the same way', () => {
    const r = ortq(['run', 'score.yaml', '--set', 'batchSize=lots', '--set', 'nulls=sometimes']);
    expect(r.code).toBe(2);
    const line = errorLine(r);
    expect(line).toMatch(/^error ORTQ_JOB_INVALID: .*batchSize: .*nulls: /);
  });

  it('a missing model exits 1 with ORTQ_MODEL_NOT_FOUND', () => {
    const r = ortq(['run', job('nomodel', { model: 'nope@champion' })]);
    expect(r.code).toBe(1);
    expect(errorLine(r)).toMatch(/^error ORTQ_MODEL_NOT_FOUND: .*nope/);
  });

  it('columns that do not fit the model exit 1 with ORTQ_SCHEMA_MISMATCH, before any output', () => {
    const r = ortq(['run', job('mismatch', { features: { input: ['f0', 'f1', 'nope'] } })]);
    expect(r.code).toBe(1);
    expect(errorLine(r)).toMatch(/^error ORTQ_SCHEMA_MISMATCH: .*"nope"/);
    expect(existsSync(join(dir, 'out', 'mismatch'))).toBe(false);
  });

  it.each([
    // the footer's schema cannot be decoded: fails while planning
    ['PARQUET-1481.parquet', ['a'], 'plan'],
    // the footer is fine, a dictionary page header is not: fails while scoring
    ['ARROW-RS-GH-6229-DICTHEADER.parquet', ['nation_key', 'region_key'], 'score'],
  ] as const)('a corrupt input (%s) exits 1 with ORTQ_INPUT_CORRUPT naming the file', (name, cols, stage) => {
    const data = join(dir, `corrupt-${name}`);
    mkdirSync(data, { recursive: true });
    copyFileSync(join(INTEROP, 'parquet-bad', name), join(data, name));
    writeFileSync(join(dir, 'lin2.onnx'), linearModel({ features: cols.length }).bytes);
    const saved = ortq(['models', 'save', `lin${cols.length}`, 'lin2.onnx']);
    expect(saved.code, saved.stderr).toBe(0);
    const jobName = `corrupt-${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`.slice(0, 60);
    const r = ortq(['run', job(jobName, { model: `lin${cols.length}`, input: { path: data }, features: { input: [...cols] }, passthrough: [] })]);
    expect(r.code, r.stderr).toBe(1);
    expect(errorLine(r)).toMatch(new RegExp(`^error ORTQ_INPUT_CORRUPT: .*${name.replace(/[.-]/g, '\\$&')}`));
    const out = join(dir, 'out', jobName);
    const runs = existsSync(out) ? readdirSync(out).filter((n) => n.startsWith('run=')) : [];
    for (const run of runs) expect(existsSync(join(out, run, 'run.json'))).toBe(false);
    if (stage === 'score') {
      // the failed run is recorded as failed, beside the run directory's missing run.json
      expect(runs).toHaveLength(1);
      expect(JSON.parse(readFileSync(join(out, runs[0], '_failed.json'), 'utf8')).status).toBe('failed');
      const records = JSON.parse(ortq(['runs', 'list', jobName, '--json']).stdout) as Array<{ status: string }>;
      expect(records.map((x) => x.status)).toEqual(['failed']);
    }
  });
});

describe('ortq runs', () => {
  it('list --json and show --json return the run', () => {
    const list = ortq(['runs', 'list', '--json']);
    expect(list.code, list.stderr).toBe(0);
    const records = JSON.parse(list.stdout) as Array<{ runId: string; job: string; status: string; rows: number; digest: string }>;
    const rec = records.find((r) => r.job === 'score');
    expect(rec).toMatchObject({ status: 'completed', rows: ROWS, digest });
    const onlyScore = JSON.parse(ortq(['runs', 'list', 'score', '--json']).stdout) as Array<{ job: string }>;
    expect(onlyScore.length).toBeGreaterThan(0);
    expect(onlyScore.every((r) => r.job === 'score')).toBe(true);

    const show = ortq(['runs', 'show', rec!.runId, '--json']);
    expect(show.code, show.stderr).toBe(0);
    const m = JSON.parse(show.stdout);
    expect(m).toMatchObject({ runId: rec!.runId, status: 'completed', rows: { read: ROWS, written: ROWS, skipped: 0 } });
    expect(m.model.digest).toBe(digest);
    expect(m.inputs).toHaveLength(1);
  });

  it('show of an unknown run exits 1 with ORTQ_RUN_NOT_FOUND', () => {
    const r = ortq(['runs', 'show', 'nope-0123', '--json']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(errorLine(r)).toMatch(/^error ORTQ_RUN_NOT_FOUND: /);
  });
});

describe('ortq --help', () => {
  /**
   * Imports the CLI entry with the given argv in a fresh node and reports
   * whether onnxruntime got loaded: as a CommonJS module (require.cache) or as
   * its native library (mapped into the process).
   */
  function probe(entry: string, args: string[]): { cjs: number; mapped: number; help: string } {
    const script = `
      import { createRequire } from 'node:module';
      import { readFileSync } from 'node:fs';
      process.argv = [process.argv[0], 'ortq', ...${JSON.stringify(args)}];
      const write = process.stdout.write.bind(process.stdout);
      let help = '';
      process.stdout.write = (s) => { help += s; return true; };
      await import(${JSON.stringify(pathToFileURL(entry).href)});
      process.stdout.write = write;
      const cjs = Object.keys(createRequire(${JSON.stringify(pathToFileURL(join(ROOT, 'package.json')).href)}).cache).filter((k) => k.includes('onnxruntime')).length;
      let mapped = 0;
      try { mapped = readFileSync('/proc/self/maps', 'utf8').split('\\n').filter((l) => l.includes('onnxruntime')).length; } catch {}
      console.log(JSON.stringify({ cjs, mapped, help }));
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: dir, encoding: 'utf8', env: { ...process.env, ORTQ_HOME: join(dir, 'home') } });
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout.trim().split('\n').pop()!);
  }

  it('does not load onnxruntime (and the probe does see it when it is loaded)', () => {
    for (const args of [['--help'], ['run', '--help'], ['runs', 'list', '--help']]) {
      const p = probe(join(ROOT, 'dist', 'cli', 'main.js'), args);
      expect(p.help).toContain('Usage: ortq');
      expect(p.cjs, args.join(' ')).toBe(0);
      expect(p.mapped, args.join(' ')).toBe(0);
    }
    const control = probe(join(ROOT, 'dist', 'predict', 'inference-client.js'), []);
    expect(control.cjs).toBeGreaterThan(0);
    if (process.platform === 'linux') expect(control.mapped).toBeGreaterThan(0);
  });
});
