import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { OrtqError } from '../../src/errors.js';
import { linearModel } from '../../src/onnx/model-zoo.js';
import { parseJob } from '../../src/predict/job-spec.js';
import { runLocal } from '../../src/predict/local-run.js';
import { ModelRepository } from '../../src/repo/model-repository.js';
import { RunLedger } from '../../src/runs/ledger.js';
import { verifyRunDir } from '../../src/runs/verify.js';
import { makeTable, readRunRows, writeTable } from '../helpers/datasets.js';

/**
 * Issue 7, "runs that can't lie": damaged parts are found and only their
 * shards redone; a kill between run.json and the pointer is repaired on read;
 * --force with a model that cannot load keeps the old run.
 */
const BIN = join(resolve(import.meta.dirname, '../..'), 'bin/ortq.js');
const F = 4;
const ROWS = 1200;
const cols = Array.from({ length: F }, (_, j) => `f${j}`);
const silent = pino({ level: 'silent' });
let dir: string;
let repo: ModelRepository;
let ledger: RunLedger;

const savedHome = process.env.ORTQ_HOME;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ortq-runcore-'));
  // in-process runs cache input fingerprints under ORTQ_HOME: this test's dir, not the project's ./.ortq
  process.env.ORTQ_HOME = join(dir, 'home');
  repo = new ModelRepository({ root: join(dir, 'repo'), logger: silent });
  await writeFile(join(dir, 'lin.onnx'), linearModel({ features: F, seed: 3 }).bytes);
  await repo.save('lin', join(dir, 'lin.onnx'), { aliases: ['champion'] });
  await writeTable(join(dir, 'data', 'in.parquet'), makeTable({ rows: ROWS, features: F }), 'parquet', { rowGroupSize: 200 });
  ledger = new RunLedger(join(dir, 'home', 'runs'));
});
afterAll(async () => {
  if (savedHome === undefined) delete process.env.ORTQ_HOME;
  else process.env.ORTQ_HOME = savedHome;
  await rm(dir, { recursive: true, force: true });
});

function job(name: string) {
  return parseJob({ name, model: 'lin@champion', input: { path: 'data' }, features: { input: cols }, passthrough: ['id'], output: { path: `out/${name}` }, batchSize: 100 }, { baseDir: dir });
}

async function expectEveryRowOnce(runDir: string): Promise<void> {
  const ids = (await readRunRows(runDir)).map((r) => Number(r.id));
  expect(ids.length).toBe(ROWS);
  expect(new Set(ids).size).toBe(ROWS);
}

async function mtimes(runDir: string): Promise<Map<string, number>> {
  const names = (await readdir(runDir)).filter((n) => n.startsWith('part-'));
  return new Map(await Promise.all(names.map(async (n) => [n, (await stat(join(runDir, n))).mtimeMs] as [string, number])));
}

describe.each([
  ['deleted', (f: string) => unlink(f)],
  ['truncated', (f: string) => truncate(f, 100)],
])('a finished run with a part %s', (what, damage) => {
  it('is reported as ORTQ_RUN_DAMAGED naming the file, and only that shard is scored again', async () => {
    const j = job(`dmg-${what}`);
    const first = await runLocal(j, { repo, shardRows: 200, ledger, logger: silent });
    expect(first.plan.shards.length).toBe(6);
    const before = await mtimes(first.plan.runDir);
    await damage(join(first.plan.runDir, 'part-00002.parquet'));
    const warnings: OrtqError[] = [];
    const again = await runLocal(j, { repo, shardRows: 200, ledger, logger: silent, onWarning: (w) => warnings.push(w) });
    expect(again.reused).toBe(false);
    expect(again.repaired).toEqual(['00002']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0].code).toBe('ORTQ_RUN_DAMAGED');
    expect(warnings[0].message).toContain('part-00002.parquet');
    expect(warnings[0].details?.files).toEqual(['part-00002.parquet']);
    expect(again.manifest).toMatchObject({ status: 'completed', rows: { read: ROWS, written: ROWS, skipped: 0 } });
    const after = await mtimes(first.plan.runDir);
    for (const [n, t] of before) {
      if (n === 'part-00002.parquet') expect(after.get(n)).not.toBe(t);
      else expect(after.get(n), `${n} was rewritten`).toBe(t);
    }
    await expectEveryRowOnce(first.plan.runDir);
    expect((await verifyRunDir(first.plan.runDir)).ok).toBe(true);
    const third = await runLocal(j, { repo, shardRows: 200, ledger, logger: silent });
    expect(third.reused).toBe(true);
  });
});

describe('runs verify', () => {
  it('re-hashes every part: a changed byte of the same size is found', async () => {
    const { plan } = await runLocal(job('verify'), { repo, shardRows: 400, ledger, logger: silent });
    expect(await verifyRunDir(plan.runDir)).toMatchObject({ ok: true, files: 3, problems: [] });
    const part = join(plan.runDir, 'part-00001.parquet');
    const bytes = await readFile(part);
    bytes[100] ^= 0xff;
    await writeFile(part, bytes);
    const report = await verifyRunDir(plan.runDir);
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([expect.objectContaining({ path: 'part-00001.parquet', problem: 'digest' })]);
  });
});

describe('a kill between run.json and the latest pointer', () => {
  it('leaves the run completed: the ledger is repaired on read, a rerun restores the pointer', async () => {
    const j = job('kill-ptr');
    const { plan, manifest } = await runLocal(j, { repo, shardRows: 400, ledger, logger: silent });
    // the state such a kill leaves: run.json written, the pointer and the ledger's last write not
    await unlink(join(dir, 'out/kill-ptr/_latest.json'));
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const rec = (await ledger.raw(plan.runId))!;
    await ledger.record({ ...rec, status: 'running', rows: 0, finishedAt: undefined, pid: dead });
    const listed = (await ledger.list({ job: 'kill-ptr' }))[0];
    expect(listed).toMatchObject({ runId: plan.runId, status: 'completed', rows: ROWS });
    expect((await ledger.raw(plan.runId))!.status).toBe('completed');
    const again = await runLocal(j, { repo, shardRows: 400, ledger, logger: silent });
    expect(again.reused).toBe(true);
    expect(JSON.parse(await readFile(join(dir, 'out/kill-ptr/_latest.json'), 'utf8')).runId).toBe(manifest.runId);
  });
});

describe('--force with a model that cannot load', () => {
  it('keeps the old run in place and listed; nothing is left under another name', async () => {
    const j = job('force-bad');
    const { plan } = await runLocal(j, { repo, shardRows: 400, ledger, logger: silent });
    const runJson = await readFile(join(plan.runDir, 'run.json'), 'utf8');
    const parts = await mtimes(plan.runDir);
    // the same stored model, now refused at load time: unsigned under a signature policy. A fresh
    // process, since this one keeps the session it already loaded (one per model digest per process)
    await writeFile(join(dir, 'force-bad.yaml'), 'kind: predict\nname: force-bad\nmodel: lin@champion\ninput: { path: data }\nfeatures: { input: [f0, f1, f2, f3] }\npassthrough: [id]\noutput: { path: out/force-bad }\nbatchSize: 100\n');
    const r = spawnSync(process.execPath, [BIN, 'run', 'force-bad.yaml', '--repo', 'repo', '--shard-rows', '400', '--force', '--no-progress'], {
      cwd: dir, encoding: 'utf8', env: { ...process.env, ORTQ_HOME: join(dir, 'home'), ORTQ_REQUIRE_SIGNATURE: '1', ORTQ_LOG_LEVEL: 'warn', ORTQ_LOG_FORMAT: 'json' },
    });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/error ORTQ_MODEL_UNTRUSTED: /);
    expect(await readFile(join(plan.runDir, 'run.json'), 'utf8')).toBe(runJson);
    expect(await mtimes(plan.runDir)).toEqual(parts);
    await expectEveryRowOnce(plan.runDir);
    expect((await readdir(join(dir, 'out/force-bad'))).sort()).toEqual(['_latest.json', `run=${plan.runId}`]);
    expect(existsSync(join(plan.runDir, '_failed.json'))).toBe(false);
    expect((await ledger.list({ job: 'force-bad' }))[0]).toMatchObject({ status: 'completed', rows: ROWS });
  });
});
