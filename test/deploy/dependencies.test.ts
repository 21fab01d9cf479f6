import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Issue 11, item 18: dependencies that are used, maintained, pinned where internals are used, and a quiet npm. */

const ROOT = resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>; allowScripts?: Record<string, boolean>;
};

describe('dependencies', () => {
  it('drops the unused protobufjs and the unmaintained lz4js (LZ4 frames come from lz4-napi)', () => {
    expect(pkg.dependencies.protobufjs).toBeUndefined();
    expect(pkg.dependencies.lz4js).toBeUndefined();
    expect(pkg.dependencies['lz4-napi']).toBeDefined();
    expect(readFileSync(join(ROOT, 'src/io/codecs.ts'), 'utf8')).toContain("from 'lz4-napi'");
  });

  it('pins apache-arrow exactly while src/io/ipc-file.ts uses its internals', () => {
    expect(readFileSync(join(ROOT, 'src/io/ipc-file.ts'), 'utf8')).toMatch(/apache-arrow\/(fb|ipc|util|visitor)/);
    expect(pkg.dependencies['apache-arrow']).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('hashes data with the native @node-rs/xxhash, pinned, from its prebuilt binary (no install script to allow)', async () => {
    expect(pkg.dependencies['@node-rs/xxhash']).toMatch(/^\d+\.\d+\.\d+$/);
    expect(pkg.allowScripts?.['@node-rs/xxhash']).toBeUndefined();
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { optional?: boolean; hasInstallScript?: boolean }> };
    expect(lock.packages['node_modules/@node-rs/xxhash']?.hasInstallScript).toBeUndefined();
    // the Docker image (node:*-bookworm-slim, glibc) and CI load the linux-*-gnu package
    expect(lock.packages['node_modules/@node-rs/xxhash-linux-x64-gnu']?.optional).toBe(true);
    expect(lock.packages['node_modules/@node-rs/xxhash-linux-arm64-gnu']?.optional).toBe(true);
    const { xxh3 } = await import('@node-rs/xxhash');
    expect(xxh3.xxh64(Buffer.from('abc')).toString(16)).toBe('78af5f94892f3950');
  });

  it('keeps the CUDA download off without an npm config key npm does not know', () => {
    expect(pkg.allowScripts?.['onnxruntime-node']).toBe(false);
    expect(readFileSync(join(ROOT, '.ci/run'), 'utf8')).toContain('ONNXRUNTIME_NODE_INSTALL=skip npm ci');
    if (existsSync(join(ROOT, '.npmrc'))) expect(readFileSync(join(ROOT, '.npmrc'), 'utf8')).not.toMatch(/^\s*onnxruntime-node-install/m);
    const npm = spawnSync('npm', ['config', 'get', 'fund'], { cwd: ROOT, encoding: 'utf8' });
    expect(npm.stderr).not.toContain('Unknown project config');
  });
});
