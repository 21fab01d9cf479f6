import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { closeDuckDb } from '../../src/io/duckdb-host.js';
import { closeParquetWorkers } from '../../src/io/parquet-host.js';
import { linearModel } from '../../src/onnx/model-zoo.js';
import { ModelRepository } from '../../src/repo/model-repository.js';

/**
 * The setup shared by the reader-outputs tests (a job run with one input
 * reader, then another, part files compared): F features, ROWS rows, a
 * linear model `m` in a repository under a temp dir, ORTQ_HOME there, and the
 * reader's environment variable put back afterwards.
 */
export const F = 4;
export const ROWS = 5000;
export const cols = Array.from({ length: F }, (_, j) => `f${j}`);

export interface ReaderOutputsFixture {
  /** the temp dir (set in beforeAll) */
  readonly dir: string;
  readonly repo: ModelRepository;
}

/** Registers beforeAll/afterAll; `readerVariable` is restored after the file's tests. */
export function readerOutputsFixture(prefix: string, readerVariable: string): ReaderOutputsFixture {
  const home = process.env.ORTQ_HOME;
  const reader = process.env[readerVariable];
  const fx = { dir: '', repo: undefined as unknown as ModelRepository };
  beforeAll(async () => {
    fx.dir = await mkdtemp(join(tmpdir(), prefix));
    process.env.ORTQ_HOME = join(fx.dir, 'home');
    fx.repo = new ModelRepository({ root: join(fx.dir, 'repo') });
    await writeFile(join(fx.dir, 'm.onnx'), linearModel({ features: F, seed: 5 }).bytes);
    await fx.repo.save('m', join(fx.dir, 'm.onnx'));
  });
  afterAll(async () => {
    if (home === undefined) delete process.env.ORTQ_HOME;
    else process.env.ORTQ_HOME = home;
    if (reader === undefined) delete process.env[readerVariable];
    else process.env[readerVariable] = reader;
    closeParquetWorkers();
    await closeDuckDb();
    if (fx.dir) await rm(fx.dir, { recursive: true, force: true });
  });
  return fx;
}

/** The part files of a run, by name, in name order. */
export async function partFiles(runDir: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const name of (await readdir(runDir)).filter((n) => n.startsWith('part-')).sort()) files.set(name, await readFile(join(runDir, name)));
  return files;
}
