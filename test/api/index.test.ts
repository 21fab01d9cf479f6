import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linearModel } from '../../src/onnx/model-zoo.js';
import { makeTable, writeTable } from '../helpers/datasets.js';

/** The package's entry point (package.json main/types, built into dist/ by the global setup), used as a library. */
const ROOT = resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { main: string; types: string; files: string[] };
let dir: string;
const savedHome = process.env.ORTQ_HOME;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ortq-api-'));
  // runJob caches input fingerprints under ORTQ_HOME: this test's dir, not the project's ./.ortq
  process.env.ORTQ_HOME = join(dir, 'home');
});
afterAll(async () => {
  if (savedHome === undefined) delete process.env.ORTQ_HOME;
  else process.env.ORTQ_HOME = savedHome;
  await rm(dir, { recursive: true, force: true });
});

describe('programmatic API', () => {
  it('package.json main and types point at files the build makes; the job schema ships', () => {
    expect(existsSync(join(ROOT, pkg.main))).toBe(true);
    expect(existsSync(join(ROOT, pkg.types))).toBe(true);
    expect(pkg.files).toContain('docs/job.schema.json');
  });

  it('opens a repository, runs a job and reads the run back, without the CLI', async () => {
    const api = await import(pathToFileURL(join(ROOT, pkg.main)).href);
    const repo = new api.ModelRepository({ root: join(dir, 'models') });
    await writeFile(join(dir, 'm.onnx'), linearModel({ features: 3, seed: 5 }).bytes);
    await repo.save('lin', join(dir, 'm.onnx'), { aliases: ['champion'] });
    await writeTable(join(dir, 'in.arrow'), makeTable({ rows: 500, features: 3 }), 'arrow');
    const ledger = new api.RunLedger(join(dir, 'home', 'runs'));
    const spec = { kind: 'predict', name: 'api', model: 'lin@champion', input: { path: 'in.arrow' }, features: { input: ['f0', 'f1', 'f2'] }, output: { path: 'out' } };
    const first = await api.runJob(spec, { repo, ledger, baseDir: dir });
    expect(first.manifest).toMatchObject({ kind: 'predict', status: 'completed', rows: { read: 500, written: 500 } });
    const again = await api.runJob(spec, { repo, ledger, baseDir: dir });
    expect(again.reused).toBe(true);
    expect(again.manifest.runId).toBe(first.manifest.runId);
    expect((await ledger.list()).map((r: { runId: string }) => r.runId)).toContain(first.manifest.runId);
    expect(await api.readRunManifest(first.plan.runDir)).toMatchObject({ runId: first.manifest.runId });
    const err = await api.runJob({ ...spec, kind: 'nope' }, { repo, ledger, baseDir: dir }).catch((e: unknown) => e);
    expect(api.isOrtqError(err, 'ORTQ_JOB_INVALID')).toBe(true);
  });
});
