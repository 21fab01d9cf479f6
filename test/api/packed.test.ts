import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// issue 11 item 16: the package as npm packs it, installed into a project of its own, is importable
// from ESM with the documented API, and its types resolve for a TypeScript consumer.
//
// "Installed" without the network: `npm pack` makes the tarball (scripts off: dist/ is built by the
// global setup), it is unpacked as node_modules/ortq the way npm installs a tarball, and the
// consumer's other node_modules entries are links to this checkout's *production* packages only
// (`npm ls --omit=dev`), so a runtime import of a devDependency fails here as it would for a user.

const ROOT = resolve(import.meta.dirname, '../..');
const env = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip', npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
let tmp: string;
let consumer: string;
let packed: Array<{ path: string }>;

const run = (cmd: string, args: string[], cwd: string) => execFileSync(cmd, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'ortq-pack-'));
  consumer = join(tmp, 'consumer');
  const [info] = JSON.parse(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], ROOT)) as Array<{ filename: string; files: Array<{ path: string }> }>;
  packed = info.files;
  const modules = join(consumer, 'node_modules');
  await mkdir(modules, { recursive: true });
  run('tar', ['-xzf', join(tmp, info.filename), '-C', modules], ROOT);
  await rename(join(modules, 'package'), join(modules, 'ortq'));
  // the production dependency tree, top-level entries linked (nested ones come along inside them)
  const prod = run('npm', ['ls', '--omit=dev', '--all', '--parseable'], ROOT).split('\n')
    .map((p) => relative(join(ROOT, 'node_modules'), p.trim()))
    .filter((p) => p && !p.startsWith('..') && !p.includes(`${sep}node_modules${sep}`) && !p.split(sep).some((s) => s === 'node_modules'));
  // a TypeScript consumer of a Node library brings its own @types/node
  for (const name of new Set([...prod, join('@types', 'node')])) {
    const to = join(modules, name);
    await mkdir(dirname(to), { recursive: true });
    await symlink(join(ROOT, 'node_modules', name), to, 'dir');
  }
  await writeFile(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: { ortq: '*' } }));
}, 120_000);

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('the packed package, installed in a temp project', () => {
  it('ships the build, the bin, the demo job and the job schema, and no sources or tests', () => {
    const paths = packed.map((f) => f.path);
    for (const p of ['package.json', 'README.md', 'bin/ortq.js', 'dist/index.js', 'dist/index.d.ts', 'docs/job.schema.json', 'jobs/iris-score.yaml']) expect(paths, p).toContain(p);
    expect(paths.filter((p) => /^(src|test|bench|coverage|node_modules)\//.test(p))).toEqual([]);
  });

  it('imports from an ESM script: ModelRepository, runJob, enqueueJob, QueueClient, RunLedger, errors', async () => {
    await writeFile(join(consumer, 'check.mjs'), `
      import * as ortq from 'ortq';
      import { OrtqError, isOrtqError, ERRORS } from 'ortq';
      const e = new OrtqError('ORTQ_JOB_INVALID', 'bad job');
      const kinds = ortq.knownKinds();
      const predict = await ortq.loadKind('predict');
      console.log(JSON.stringify({
        types: Object.fromEntries(['ModelRepository', 'runJob', 'runJobLocally', 'enqueueJob', 'QueueClient', 'RunLedger', 'loadConfig', 'readJobFile', 'parseJobSpec', 'readRunManifest', 'OrtqError', 'isOrtqError'].map((k) => [k, typeof ortq[k]])),
        error: { code: e.code, isOrtq: isOrtqError(e, 'ORTQ_JOB_INVALID'), instance: e instanceof Error },
        codes: Object.keys(ERRORS).length,
        kinds, predict: predict.name,
        resolved: import.meta.resolve('ortq'),
      }));
    `);
    const out = JSON.parse(run(process.execPath, ['check.mjs'], consumer));
    for (const [k, t] of Object.entries(out.types)) expect(t, k).toBe('function');
    expect(out.error).toEqual({ code: 'ORTQ_JOB_INVALID', isOrtq: true, instance: true });
    expect(out.codes).toBeGreaterThan(10);
    expect(out.kinds).toContain('predict');
    expect(out.predict).toBe('predict');
    // the installed copy, not this checkout
    expect(out.resolved).toContain('/consumer/node_modules/ortq/dist/index.js');
  });

  it('its bin runs from the installed copy', () => {
    expect(run(process.execPath, [join(consumer, 'node_modules', 'ortq', 'bin', 'ortq.js'), '--version'], consumer).trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('its types resolve for a TypeScript consumer (tsc --noEmit, strict), and are real types, not any', async () => {
    await writeFile(join(consumer, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, types: ['node'] },
      files: ['check.ts'],
    }));
    await writeFile(join(consumer, 'check.ts'), `
      import { ModelRepository, runJob, enqueueJob, QueueClient, RunLedger, OrtqError, isOrtqError, loadConfig, type OrtqConfig, type RunManifestBase, type ErrorCode } from 'ortq';
      const config: Readonly<OrtqConfig> = loadConfig();
      const repo: ModelRepository = ModelRepository.fromConfig(config);
      export async function go(): Promise<RunManifestBase['status']> {
        const { manifest } = await runJob('jobs/iris-score.yaml', { config, repo });
        const qc: QueueClient = await QueueClient.open(config);
        await qc.close();
        void enqueueJob; void new RunLedger();
        return manifest.status;
      }
      const code: ErrorCode = 'ORTQ_JOB_INVALID';
      export const err = new OrtqError(code, 'x');
      export const is: boolean = isOrtqError(err, 'ORTQ_JOB_INVALID');
      // @ts-expect-error not an error code: the types are checked, not any
      export const bad: ErrorCode = 'ORTQ_NO_SUCH_CODE';
      // @ts-expect-error runJob takes a job file or a spec object
      void runJob(42);
    `);
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    expect(existsSync(tsc)).toBe(true);
    let out = '';
    try {
      out = run(process.execPath, [tsc, '-p', 'tsconfig.json'], consumer);
    } catch (err) {
      out = String((err as { stdout?: string }).stdout ?? err);
    }
    expect(out.trim()).toBe('');
    // the consumer's files only: nothing was written
    expect(readdirSync(consumer).sort()).toEqual(['check.mjs', 'check.ts', 'node_modules', 'package.json', 'tsconfig.json']);
  }, 60_000);
});
