import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linearModel, zipMapClassifier } from '../../src/onnx/model-zoo.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin', 'ortq.js');
let dir: string;

interface Result { code: number | null; stdout: string; stderr: string }

/** Runs the real CLI from a scratch working directory (so ./.ortq/models and config/ are its own). */
function ortq(args: string[], env: Record<string, string> = {}): Result {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: dir, encoding: 'utf8', env: { ...process.env, ORTQ_LOG_FORMAT: 'json', ORTQ_LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ortqAsync(args: string[]): Promise<Result> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, ORTQ_LOG_LEVEL: 'warn', ORTQ_LOG_FORMAT: 'json' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/** The one-line error message the CLI prints. */
function errorLine(r: Result): string {
  return r.stderr.trim().split('\n').pop() ?? '';
}

beforeAll(() => {
  // bin/ortq.js runs dist/, built once by test/global-setup.ts
  expect(existsSync(join(ROOT, 'dist', 'cli', 'commands', 'models', 'register.js'))).toBe(true);
  dir = mkdtempSync(join(tmpdir(), 'ortq-cli-models-'));
  writeFileSync(join(dir, 'lin.onnx'), linearModel({ features: 3, outputs: 2 }).bytes);
  writeFileSync(join(dir, 'lin2.onnx'), linearModel({ features: 3, outputs: 2, seed: 9 }).bytes);
  writeFileSync(join(dir, 'iris.onnx'), zipMapClassifier({ features: 4, classes: ['setosa', 'versicolor', 'virginica'] }).bytes);
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ortq models (CLI)', () => {
  it('lists every subcommand in --help without loading onnxruntime', () => {
    const r = ortq(['models', '--help']);
    expect(r.code).toBe(0);
    for (const c of ['save', 'list', 'get', 'alias', 'delete', 'prune', 'export', 'import', 'verify', 'sign', 'keygen']) expect(r.stdout).toContain(c);
    const src = readFileSync(join(ROOT, 'dist', 'cli', 'commands', 'models', 'register.js'), 'utf8');
    expect(src).not.toMatch(/from ['"]onnxruntime/);
    expect(ortq(['models', 'save', '--help']).stdout).toContain('--attach');
  });

  it('save prints the tag; list, get and --json report on stdout only', () => {
    const r = ortq(['models', 'save', 'iris', 'iris.onnx', '--version', 'v1', '--label', 'team=ml', '--metadata', 'accuracy=0.97', '--alias', 'champion']);
    expect(r).toMatchObject({ code: 0, stdout: 'iris:v1\n' });
    const gen = ortq(['models', 'save', 'iris', 'iris.onnx', '--json']);
    expect(gen.code).toBe(0);
    const saved = JSON.parse(gen.stdout);
    expect(saved.tag).toMatch(/^iris:\d{8}-\d{6}-\d{3}-[0-9a-f]{6}$/);

    const table = ortq(['models', 'list']);
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^Tag\s+Size\s+Created\s+Inputs → Outputs\s+Aliases$/);
    expect(lines[1]).toContain(saved.tag);
    expect(lines[2]).toMatch(/^iris:v1\s+.*float_input\[N,4\] → output_label\[N\], output_probability\[\?,3\]\s+champion$/);

    const list = JSON.parse(ortq(['models', 'list', 'iris', '--json']).stdout);
    expect(list.map((x: { tag: string }) => x.tag)).toEqual([saved.tag, 'iris:v1']);

    const got = ortq(['models', 'get', 'iris@champion', '--json']);
    expect(JSON.parse(got.stdout)).toMatchObject({
      tag: 'iris:v1', aliases: ['champion'],
      manifest: { labels: { team: 'ml' }, metadata: { accuracy: 0.97 }, classLabels: { output_probability: ['setosa', 'versicolor', 'virginica'] } },
    });
    expect(ortq(['models', 'get', 'iris:v1']).stdout).toContain('classLabels:');
  });

  it('prints one error line with the code and exits 2 for bad names, 1 for missing models', () => {
    const bad = ortq(['models', 'save', '../x', 'lin.onnx']);
    expect(bad.code).toBe(2);
    expect(errorLine(bad)).toMatch(/^error ORTQ_INVALID_NAME: /);
    const missing = ortq(['models', 'get', 'iris:v9']);
    expect(missing.code).toBe(1);
    expect(errorLine(missing)).toBe('error ORTQ_MODEL_NOT_FOUND: no model "iris:v9" in ./.ortq/models — run "ortq models list"');
    writeFileSync(join(dir, 'garbage.onnx'), 'garbage');
    const invalid = ortq(['models', 'save', 'junk', 'garbage.onnx']);
    expect(invalid.code).toBe(1);
    expect(errorLine(invalid)).toMatch(/^error ORTQ_MODEL_INVALID: /);
    expect(existsSync(join(dir, '.ortq', 'models', 'junk'))).toBe(false);
    const exists = ortq(['models', 'save', 'iris', 'lin.onnx', '--version', 'v1']);
    expect(errorLine(exists)).toMatch(/^error ORTQ_MODEL_EXISTS: /);
  });

  it('--repo wins over MODEL_REPO_PATH', () => {
    const env = { MODEL_REPO_PATH: join(dir, 'env-repo') };
    expect(ortq(['models', 'save', 'lin', 'lin.onnx', '--version', 'v1'], env).code).toBe(0);
    expect(ortq(['models', 'save', 'lin', 'lin.onnx', '--version', 'v1', '--repo', 'flag-repo'], env).code).toBe(0);
    expect(existsSync(join(dir, 'env-repo', 'lin', 'v1', 'manifest.json'))).toBe(true);
    expect(existsSync(join(dir, 'flag-repo', 'lin', 'v1', 'manifest.json'))).toBe(true);
    expect(JSON.parse(ortq(['models', 'list', '--json'], env).stdout)).toHaveLength(1);
  });

  it('moves an alias, shows its history and rolls it back', () => {
    const repo = ['--repo', 'alias-repo'];
    ortq(['models', 'save', 'm', 'lin.onnx', '--version', 'v1', ...repo]);
    ortq(['models', 'save', 'm', 'lin2.onnx', '--version', 'v2', ...repo]);
    expect(ortq(['models', 'alias', 'm@prod', 'v1', ...repo]).code).toBe(0);
    expect(ortq(['models', 'alias', 'm@prod', 'v2', ...repo]).stdout).toBe('m@prod: v1 → v2\n');
    expect(JSON.parse(ortq(['models', 'get', 'm@prod', '--json', ...repo]).stdout).tag).toBe('m:v2');
    expect(ortq(['models', 'alias', 'm@prod', '--rollback', ...repo]).stdout).toBe('m@prod: v2 → v1\n');
    expect(JSON.parse(ortq(['models', 'get', 'm@prod', '--json', ...repo]).stdout).tag).toBe('m:v1');
    const history = JSON.parse(ortq(['models', 'alias', 'm@prod', '--history', '--json', ...repo]).stdout);
    expect(history.history.map((e: { action: string }) => e.action)).toEqual(['move', 'move', 'rollback']);
    expect(ortq(['models', 'alias', 'm@prod', ...repo]).code).toBe(2);
  });

  it('delete asks for --yes, refuses an aliased version unless --force; prune keeps aliased versions', () => {
    const repo = ['--repo', 'delete-repo'];
    for (const v of ['v1', 'v2', 'v3', 'v4']) ortq(['models', 'save', 'm', 'lin.onnx', '--version', v, ...repo]);
    ortq(['models', 'alias', 'm@prod', 'v1', ...repo]);
    const noYes = ortq(['models', 'delete', 'm:v2', ...repo]);
    expect(noYes.code).toBe(2);
    expect(errorLine(noYes)).toMatch(/^error ORTQ_USAGE: .*--yes/);
    expect(ortq(['models', 'delete', 'm', '--yes', ...repo]).code).toBe(2);
    expect(ortq(['models', 'delete', 'm:v2', '--yes', ...repo]).stdout).toBe('deleted m:v2\n');
    const inUse = ortq(['models', 'delete', 'm@prod', '--yes', ...repo]);
    expect(inUse.code).toBe(1);
    expect(errorLine(inUse)).toMatch(/^error ORTQ_MODEL_IN_USE: m:v1 is aliased as m@prod/);
    const pruned = JSON.parse(ortq(['models', 'prune', 'm', '--keep', '1', '--yes', '--json', ...repo]).stdout);
    expect(pruned).toEqual({ kept: ['m:v4', 'm:v1'], deleted: ['m:v3'], dryRun: false });
    expect(ortq(['models', 'delete', 'm:v1', '--yes', '--force', ...repo]).code).toBe(0);
    expect(JSON.parse(ortq(['models', 'list', '--json', ...repo]).stdout).map((x: { tag: string }) => x.tag)).toEqual(['m:v4']);
  });

  it('prune asks for --yes like delete, --keep 0 included; --dry-run and a no-op prune do not ask', () => {
    const repo = ['--repo', 'prune-repo'];
    for (const v of ['v1', 'v2']) ortq(['models', 'save', 'p', 'lin.onnx', '--version', v, ...repo]);
    const tags = () => JSON.parse(ortq(['models', 'list', '--json', ...repo]).stdout).map((x: { tag: string }) => x.tag);
    const noYes = ortq(['models', 'prune', 'p', '--keep', '0', ...repo]);
    expect(noYes.code).toBe(2);
    expect(errorLine(noYes)).toBe('error ORTQ_USAGE: refusing to delete 2 version(s) of p (p:v2, p:v1) without --yes (stdin is not a terminal)');
    expect(tags()).toEqual(['p:v2', 'p:v1']);
    expect(JSON.parse(ortq(['models', 'prune', 'p', '--keep', '0', '--dry-run', '--json', ...repo]).stdout).deleted).toEqual(['p:v2', 'p:v1']);
    expect(ortq(['models', 'prune', 'p', '--keep', '5', ...repo]).code).toBe(0);
    expect(ortq(['models', 'prune', 'p', '--keep', '0', '--yes', ...repo]).stdout).toBe('deleted p:v2\ndeleted p:v1\nkept 0, deleted 2\n');
    expect(tags()).toEqual([]);
  });

  it('export → import → export is byte-identical; verify exits 1 on a tampered file', () => {
    const a = ['--repo', 'export-a'];
    const b = ['--repo', 'export-b'];
    ortq(['models', 'save', 'iris', 'iris.onnx', '--version', 'v1', ...a]);
    expect(ortq(['models', 'export', 'iris:v1', 'one.tar', ...a]).code).toBe(0);
    expect(JSON.parse(ortq(['models', 'import', 'one.tar', '--json', ...b]).stdout)).toEqual({ tag: 'iris:v1', status: 'imported' });
    expect(ortq(['models', 'import', 'one.tar', ...b]).stdout).toContain('same content');
    expect(ortq(['models', 'export', 'iris:v1', 'two.tar', ...b]).code).toBe(0);
    expect(readFileSync(join(dir, 'two.tar')).equals(readFileSync(join(dir, 'one.tar')))).toBe(true);

    expect(ortq(['models', 'verify', ...b]).code).toBe(0);
    const model = join(dir, 'export-b', 'iris', 'v1', 'model.onnx');
    const bytes = readFileSync(model);
    bytes[10] ^= 0xff;
    writeFileSync(model, bytes);
    const v = ortq(['models', 'verify', '--json', ...b]);
    expect(v.code).toBe(1);
    expect(JSON.parse(v.stdout)).toMatchObject([{ tag: 'iris:v1', ok: false }]);
    expect(errorLine(v)).toMatch(/^error ORTQ_MODEL_CORRUPT: 1 of 1 versions failed verification: iris:v1 \(model.onnx/);
  });

  it('keygen, sign, and the trust policy from config', () => {
    const repo = ['--repo', 'signed-repo'];
    const keys = JSON.parse(ortq(['models', 'keygen', 'keys', '--json']).stdout);
    expect(keys.privateKey).toBe(join('keys', 'ortq-signing.pem'));
    ortq(['models', 'save', 'm', 'lin.onnx', '--version', 'v1', ...repo]);
    ortq(['models', 'save', 'm', 'lin.onnx', '--version', 'v2', ...repo]);
    expect(ortq(['models', 'sign', 'm:v1', '--key', keys.privateKey, ...repo]).stdout).toBe(`signed m:v1 with key ${keys.keyId}\n`);
    writeFileSync(join(dir, 'trust.yaml'), `repository:\n  trust:\n    requireSignature: true\n    publicKeys: [${JSON.stringify(keys.publicKey)}]\n`);
    const v = ortq(['models', 'verify', '--json', ...repo], { ORTQ_CONFIG: 'trust.yaml' });
    expect(v.code).toBe(1);
    expect(JSON.parse(v.stdout)).toEqual([
      { tag: 'm:v1', ok: true, problems: [], signature: 'valid' },
      { tag: 'm:v2', ok: false, problems: ['signature: it is not signed'], signature: 'unsigned' },
    ]);
    expect(ortq(['models', 'verify', 'm:v1', ...repo], { ORTQ_CONFIG: 'trust.yaml' }).code).toBe(0);
  });

  it('pickled attachments are refused', () => {
    writeFileSync(join(dir, 'scaler.pkl'), 'x');
    const r = ortq(['models', 'save', 'm', 'lin.onnx', '--attach', 'scaler.pkl', '--repo', 'attach-repo']);
    expect(r.code).toBe(1);
    expect(errorLine(r)).toMatch(/^error ORTQ_MODEL_INVALID: refusing pickle/);
  });

  it('20 processes saving the same name at once all succeed with distinct versions', async () => {
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: 20 }, () => ortqAsync(['models', 'save', 'busy', 'iris.onnx', '--repo', 'busy-repo'])));
    const elapsed = Date.now() - started;
    for (const r of results) expect(r, r.stderr).toMatchObject({ code: 0 });
    const tags = results.map((r) => r.stdout.trim());
    expect(new Set(tags).size).toBe(20);
    const versions = readdirSync(join(dir, 'busy-repo', 'busy')).filter((e) => !e.startsWith('.'));
    expect(versions).toHaveLength(20);
    expect(readdirSync(join(dir, 'busy-repo', '.tmp'))).toEqual([]);
    expect(ortq(['models', 'verify', 'busy', '--repo', 'busy-repo']).code).toBe(0);
    console.log(`20 concurrent saves took ${elapsed} ms`);
  });
});
