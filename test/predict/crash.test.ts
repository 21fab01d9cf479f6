import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { linearModel } from '../../src/onnx/model-zoo.js';
import { ModelRepository } from '../../src/repo/model-repository.js';
import { featureMatrix, makeTable, readRunRows, writeTable } from '../helpers/datasets.js';
import { expectClose, linearRef } from '../helpers/reference.js';

/**
 * Issue 3: "a run killed at any point (SIGKILL) leaves nothing that looks
 * finished; running it again completes it correctly". The real CLI is killed
 * once a shard has been committed, then rerun; a finished run is a no-op and
 * `--force` rewrites byte-identical part files.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin', 'ortq.js');
const F = 4;
const FILES = 8;
const ROWS = 2000; // per file
const ROW_GROUP = 250;
const SHARD_ROWS = 250; // one row group a shard: 64 shards, each a fsynced part file and receipt

let dir: string;
const model = linearModel({ features: F, seed: 5 });
const tables = Array.from({ length: FILES }, (_, f) => makeTable({ rows: ROWS, features: F, startId: f * ROWS }));
const featureCols = Array.from({ length: F }, (_, j) => `f${j}`);

interface Result { code: number | null; stdout: string; stderr: string }

function env(): NodeJS.ProcessEnv {
  return { ...process.env, ORTQ_HOME: join(dir, 'home'), ORTQ_LOG_FORMAT: 'json', ORTQ_LOG_LEVEL: 'warn' };
}

function ortq(args: string[]): Result {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Builds dist/ (bin/ortq.js runs it) unless every source file is older than its output. */
function parts(runDir: string): string[] {
  return readdirSync(runDir).filter((n) => n.startsWith('part-')).sort();
}

beforeAll(async () => {
  expect(existsSync(join(ROOT, 'dist', 'cli', 'main.js'))).toBe(true);
  dir = mkdtempSync(join(tmpdir(), 'ortq-crash-'));
  writeFileSync(join(dir, 'lin.onnx'), model.bytes);
  await new ModelRepository({ root: join(dir, 'repo'), logger: pino({ level: 'silent' }) }).save('lin', join(dir, 'lin.onnx'), { aliases: ['champion'] });
  for (let f = 0; f < FILES; f++) await writeTable(join(dir, 'data', `in-${f}.parquet`), tables[f], 'parquet', { rowGroupSize: ROW_GROUP });
  writeFileSync(join(dir, 'job.yaml'), [
    'kind: predict',
    'name: crash',
    'model: lin@champion',
    'input:',
    '  path: data',
    'features:',
    `  input: [${featureCols.join(', ')}]`,
    'passthrough: [id]',
    'output:',
    '  path: out',
    'batchSize: 100',
    '',
  ].join('\n'));
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SIGKILL mid-run', () => {
  it('leaves nothing that looks finished; a rerun completes every row exactly once', async () => {
    const args = ['run', 'job.yaml', '--repo', 'repo', '--shard-rows', String(SHARD_ROWS), '--no-progress'];
    const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const exited = new Promise<NodeJS.Signals | number | null>((done) => child.on('exit', (code, signal) => done(signal ?? code)));

    // wait for the first committed shard (its receipt), then kill without warning
    const out = join(dir, 'out');
    let runDir: string | null = null;
    let receipts: string[] = [];
    for (const deadline = Date.now() + 30_000; Date.now() < deadline && child.exitCode === null; await sleep(10)) {
      const run = existsSync(out) ? readdirSync(out).find((n) => n.startsWith('run=')) : undefined;
      if (!run) continue;
      runDir = join(out, run);
      receipts = existsSync(join(runDir, '_shards')) ? readdirSync(join(runDir, '_shards')).filter((n) => n.endsWith('.json')) : [];
      if (receipts.length > 0) break;
    }
    child.kill('SIGKILL');
    expect(await exited, `the run finished before it could be killed: ${stderr}`).toBe('SIGKILL');
    expect(runDir).not.toBeNull();
    expect(receipts.length).toBeGreaterThan(0);
    const runId = runDir!.split('run=')[1];

    // nothing looks finished: no manifest, no latest pointer, the ledger does not say completed
    const shards = JSON.parse(readFileSync(join(runDir!, '_plan.json'), 'utf8')).shards.length as number;
    expect(readdirSync(join(runDir!, '_shards')).filter((n) => n.endsWith('.json')).length).toBeLessThan(shards);
    expect(existsSync(join(runDir!, 'run.json'))).toBe(false);
    expect(existsSync(join(out, '_latest.json'))).toBe(false);
    const listed = ortq(['runs', 'list', '--json']);
    expect(listed.code).toBe(0);
    const record = (JSON.parse(listed.stdout) as Array<{ runId: string; status: string }>).find((r) => r.runId === runId);
    expect(record?.status).toBe('interrupted'); // its process is gone
    expect(ortq(['runs', 'list']).stdout).not.toMatch(/completed/);

    // as if the kill had also landed while a part file and a receipt were being written
    const stale = [join(runDir!, `.part-99999.parquet.tmp-${child.pid}-0badf00d`), join(runDir!, '_shards', `.99999.json.tmp-${child.pid}-0badf00d`)];
    for (const f of stale) writeFileSync(f, 'half written');

    // committed shards are kept as they are
    const committed = readdirSync(join(runDir!, '_shards')).filter((n) => n.endsWith('.json'))
      .map((n) => JSON.parse(readFileSync(join(runDir!, '_shards', n), 'utf8')).files[0]?.path as string);
    const committedMtimes = committed.map((p) => statSync(join(runDir!, p)).mtimeMs);

    // the rerun resumes and completes; the stored plan keeps the shard layout even when --shard-rows differs
    const rerun = ortq([...args, '--shard-rows', String(SHARD_ROWS * 4)]);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stdout).toContain(`run ${runId} completed: ${FILES * ROWS} rows written`);
    const manifest = JSON.parse(readFileSync(join(runDir!, 'run.json'), 'utf8'));
    expect(manifest.status).toBe('completed');
    expect(manifest.rows).toEqual({ read: FILES * ROWS, written: FILES * ROWS, skipped: 0 });
    expect(manifest.outputs).toHaveLength(shards);
    for (const f of stale) expect(existsSync(f), `${f} left behind`).toBe(false);
    expect(readdirSync(runDir!).filter((n) => n.includes('.tmp-'))).toEqual([]);
    committed.forEach((p, i) => expect(statSync(join(runDir!, p)).mtimeMs, `${p} was rewritten`).toBe(committedMtimes[i]));

    const rows = await readRunRows(runDir!);
    expect(rows).toHaveLength(FILES * ROWS);
    const seen = new Set<number>();
    for (const r of rows) {
      const id = Number(r.id);
      expect(seen.has(id), `id ${id} twice`).toBe(false);
      seen.add(id);
    }
    expect(seen.size).toBe(FILES * ROWS);
    for (let f = 0; f < FILES; f++) {
      const ref = linearRef(model, featureMatrix(tables[f], featureCols), ROWS);
      expectClose(rows.slice(f * ROWS, (f + 1) * ROWS).map((r) => Number(r.output)), ref);
    }
    const shown = ortq(['runs', 'show', runId, '--json']);
    expect(JSON.parse(shown.stdout).status).toBe('completed');

    // a finished run is not redone
    const names = parts(runDir!);
    const before = names.map((n) => ({ mtime: statSync(join(runDir!, n)).mtimeMs, bytes: readFileSync(join(runDir!, n)) }));
    const again = ortq(args);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`run ${runId} already done`);
    expect(parts(runDir!)).toEqual(names);
    names.forEach((n, i) => expect(statSync(join(runDir!, n)).mtimeMs, n).toBe(before[i].mtime));

    // --force recomputes: the resumed run's part files and a fresh run's are byte for byte the same
    const forced = ortq([...args, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toContain(`run ${runId} completed`);
    expect(parts(runDir!)).toEqual(names);
    names.forEach((n, i) => {
      expect(statSync(join(runDir!, n)).mtimeMs, n).not.toBe(before[i].mtime);
      expect(readFileSync(join(runDir!, n)).equals(before[i].bytes), n).toBe(true);
    });
  }, 180_000); // seven CLI runs: generous for a shared, loaded 2-core machine
});
