import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { isOrtqError, toOrtqError, type OrtqError } from '../../src/errors.js';
import { writeJsonAtomic } from '../../src/fs/atomic.js';
import { closeParquetWorkers } from '../../src/io/parquet-host.js';
import { createPartWriter } from '../../src/io/write.js';
import { writeTable } from '../helpers/datasets.js';

/**
 * System errors keep their code (issue 11, item 9): permission denied is
 * ORTQ_PERMISSION_DENIED naming the path; disk full and read-only file systems
 * are ORTQ_OUTPUT_FAILED with ENOSPC / EROFS in the message and details.
 *
 * Tests run as root here, where chmod denies nothing: the permission test runs
 * its reader in a child process as uid 65534. ENOSPC comes from the kernel
 * (/dev/full); EROFS, which needs a read-only mount, is injected at the
 * fs/promises boundary with the shape Node gives it.
 */

const inject = vi.hoisted(() => ({ mode: null as null | 'dev-full' | 'erofs' }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const open = (async (path: string, flags?: string, mode?: number) => {
    if (inject.mode && String(path).includes('.tmp-')) {
      if (inject.mode === 'dev-full') return actual.open('/dev/full', 'w');
      throw Object.assign(new Error(`EROFS: read-only file system, open '${path}'`), { errno: -30, code: 'EROFS', syscall: 'open', path });
    }
    return actual.open(path, flags, mode);
  }) as typeof actual.open;
  return { ...actual, default: { ...actual, open }, open };
});

const ROOT = resolve(import.meta.dirname, '../..');
let dir: string;
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'ortq-fserr-')); await chmod(dir, 0o755); });
afterAll(async () => { inject.mode = null; closeParquetWorkers(); await rm(dir, { recursive: true, force: true }); });

function batch() {
  return tableFromArrays({ id: Int32Array.from([1, 2, 3]), score: Float32Array.from([0.5, 1, 2]) }).batches[0];
}

async function failure(p: Promise<unknown>): Promise<OrtqError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err, 'expected a failure').toBeInstanceOf(Error);
  return err as OrtqError;
}

describe('disk full and read-only output', () => {
  it('a part file on a full disk is ORTQ_OUTPUT_FAILED keeping ENOSPC, and leaves nothing', async () => {
    // the writer makes its directory only when the open finds it missing, and the injected open never does
    await mkdir(join(dir, 'full'), { recursive: true });
    inject.mode = 'dev-full';
    try {
      for (const format of ['csv', 'arrow', 'parquet'] as const) {
        const w = createPartWriter(join(dir, 'full', `part-00000.${format}`), format);
        const err = await failure((async () => { await w.write(batch()); await w.commit(); })());
        expect(isOrtqError(err, 'ORTQ_OUTPUT_FAILED'), String(err)).toBe(true);
        expect(err.message).toContain('ENOSPC');
        expect(err.details).toMatchObject({ errno: 'ENOSPC', path: join(dir, 'full', `part-00000.${format}`) });
      }
    } finally {
      inject.mode = null;
    }
    expect(await fsp.readdir(join(dir, 'full'))).toEqual([]);
  });

  it('a part file on a read-only file system is ORTQ_OUTPUT_FAILED keeping EROFS', async () => {
    inject.mode = 'erofs';
    try {
      const w = createPartWriter(join(dir, 'ro', 'part-00000.csv'), 'csv');
      const err = await failure(w.write(batch()));
      expect(isOrtqError(err, 'ORTQ_OUTPUT_FAILED'), String(err)).toBe(true);
      expect(err.message).toContain('EROFS');
      expect(err.details).toMatchObject({ errno: 'EROFS', syscall: 'open' });
    } finally {
      inject.mode = null;
    }
  });

  it('run files (plan, receipts, run.json) written atomically keep the code too, not ORTQ_INTERNAL', async () => {
    inject.mode = 'erofs';
    try {
      const err = toOrtqError(await failure(writeJsonAtomic(join(dir, 'run', '_plan.json'), { a: 1 })));
      expect(err.code).toBe('ORTQ_OUTPUT_FAILED');
      expect(err.details).toMatchObject({ errno: 'EROFS' });
    } finally {
      inject.mode = null;
    }
    // and a real ENOSPC from the kernel
    const full = toOrtqError(await failure(fsp.writeFile('/dev/full', 'x')));
    expect(full.code).toBe('ORTQ_OUTPUT_FAILED');
    expect(full.details).toMatchObject({ errno: 'ENOSPC', syscall: 'write' });
  });
});

describe('permission denied', () => {
  const NOBODY = 65534;

  /** Reads `path` with ortq's reader (compiled, in dist/) as an unprivileged user; returns the error it ends in. */
  function readAs(path: string, format: string): { code?: string; message?: string; details?: Record<string, unknown> } {
    const script = `
      import { readBatches } from ${JSON.stringify(join(ROOT, 'dist/io/read.js'))};
      import { inspectInput } from ${JSON.stringify(join(ROOT, 'dist/io/inspect.js'))};
      import { closeParquetWorkers } from ${JSON.stringify(join(ROOT, 'dist/io/parquet-host.js'))};
      const file = { path: ${JSON.stringify(path)}, format: ${JSON.stringify(format)}, size: 0, mtimeMs: 0 };
      let out = {};
      try {
        await inspectInput(file);
        for await (const b of readBatches(file)) void b;
      } catch (err) {
        out = { code: err.code, message: err.message, details: err.details };
      }
      closeParquetWorkers();
      process.stdout.write(JSON.stringify(out));
    `;
    const asRoot = process.getuid?.() === 0;
    // a file, not --input-type=module -e: the Parquet decoder's worker would inherit that flag
    const file = join(dir, 'read-as.mjs');
    writeFileSync(file, script, { mode: 0o644 });
    const r = spawnSync(process.execPath, [file], {
      encoding: 'utf8', ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}), timeout: 30_000,
    });
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as { code?: string; message?: string };
  }

  for (const format of ['csv', 'arrow', 'parquet'] as const) {
    it(`an unreadable ${format} input is ORTQ_PERMISSION_DENIED naming it`, { timeout: 60_000 }, async () => {
      const table = tableFromArrays({ id: Float64Array.from([1, 2]), f0: Float64Array.from([0.5, 1]) });
      const path = join(dir, `secret.${format}`);
      if (format === 'arrow') await writeFile(path, tableToIPC(table, 'file'));
      else await writeTable(path, table, format);
      await chmod(path, 0o000);
      const out = readAs(path, format);
      expect(out.code, out.message).toBe('ORTQ_PERMISSION_DENIED');
      expect(out.message).toContain(path);
    });
  }

  it('an output folder that cannot be written is ORTQ_PERMISSION_DENIED, in-process mapping', async () => {
    await mkdir(join(dir, 'locked'), { recursive: true });
    const eacces = Object.assign(new Error(`EACCES: permission denied, mkdir '${join(dir, 'locked', 'out')}'`), {
      errno: -13, code: 'EACCES', syscall: 'mkdir', path: join(dir, 'locked', 'out'),
    });
    const err = toOrtqError(eacces);
    expect(err.code).toBe('ORTQ_PERMISSION_DENIED');
    expect(err.message).toContain(join(dir, 'locked', 'out'));
    expect(err.retryable).toBe(false);
  });
});
