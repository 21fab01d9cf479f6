import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isOrtqError } from '../../src/errors.js';
import { inspectInput } from '../../src/io/inspect.js';
import { closeParquetWorkers } from '../../src/io/parquet-host.js';
import { columnValues, inputFile, INTEROP, readAll } from './helpers.js';

/**
 * Each file must end in ORTQ_INPUT_CORRUPT naming it, or in a read that
 * completes; never a crash, an uncaught exception or a hang (per-file time
 * limit). After each one a good file must still read: no poisoned reader.
 */
async function outcome(path: string, format: 'arrow' | 'arrows' | 'parquet'): Promise<string> {
  const file = await inputFile(path, format);
  try {
    await inspectInput(file);
    const batches = await readAll(file);
    return `read ${batches.reduce((n, b) => n + b.numRows, 0)} rows`;
  } catch (err) {
    expect(isOrtqError(err, 'ORTQ_INPUT_CORRUPT'), `${path}: ${String(err)}`).toBe(true);
    expect((err as Error).message).toContain(path);
    return 'ORTQ_INPUT_CORRUPT';
  }
}

afterAll(() => closeParquetWorkers());

const FUZZ = join(INTEROP, 'arrow-fuzz');
const GOOD_ARROW = join(INTEROP, 'arrow', 'generated_primitive.arrow_file');
const GOOD_PARQUET = join(INTEROP, 'parquet', 'alltypes_plain.parquet');

/**
 * The fuzz files that still decode to a well-formed table, with their row
 * counts; every other one must be rejected. Pinned so that a reader which
 * silently yields nothing for a damaged file cannot pass.
 */
const FUZZ_READABLE = new Map([
  ['arrow-ipc-file--clusterfuzz-testcase-arrow-ipc-file-fuzz-6051391008473088', 'read 17 rows'],
  // (…-6088759971217408 used to read 200 rows: its footer names a child field f3 where
  // the file's leading schema message says f2, so it is a damaged footer, ORTQ_INPUT_CORRUPT)
  ['arrow-ipc-stream--clusterfuzz-testcase-minimized-arrow-ipc-stream-fuzz-4757582821064704', 'read 0 rows'],
  ['arrow-ipc-stream--clusterfuzz-testcase-minimized-arrow-ipc-stream-fuzz-5435281763467264', 'read 0 rows'],
]);

describe('arrow-fuzz: corrupt IPC files and streams', () => {
  for (const name of readdirSync(FUZZ).sort()) {
    it(name, { timeout: 15_000 }, async () => {
      const format = name.startsWith('arrow-ipc-file') ? 'arrow' : 'arrows';
      const result = await outcome(join(FUZZ, name), format);
      expect(result).toMatch(/^(read \d+ rows|ORTQ_INPUT_CORRUPT)$/);
      expect(result).toBe(FUZZ_READABLE.get(name) ?? 'ORTQ_INPUT_CORRUPT');
      const good = await readAll(await inputFile(GOOD_ARROW, 'arrow'));
      expect(good.reduce((n, b) => n + b.numRows, 0)).toBe(37);
    });
  }

  // These three send apache-arrow's own file reader into an endless read loop
  // (a negative block offset); the bounded reader rejects them from the footer.
  for (const id of ['clusterfuzz-testcase-arrow-ipc-file-fuzz-5657400208261120',
    'clusterfuzz-testcase-minimized-arrow-ipc-file-fuzz-5657400208261120',
    'clusterfuzz-testcase-minimized-arrow-ipc-file-fuzz-6240547580936192']) {
    it(`rejects the reader-hanging file ${id}`, { timeout: 15_000 }, async () => {
      expect(await outcome(join(FUZZ, `arrow-ipc-file--${id}`), 'arrow')).toBe('ORTQ_INPUT_CORRUPT');
    });
  }
});

const BAD = join(INTEROP, 'parquet-bad');
/**
 * Readable by parquet-wasm (arrow-rs): two whose damage only a page checksum would
 * reveal (checksums are not verified), and GH-43605, whose bit-width-0 RLE
 * dictionary indices arrow-rs decodes as all-zero indices.
 */
const READABLE = new Map([
  ['datapage_v1-corrupt-checksum.parquet', 'read 5120 rows'],
  ['rle-dict-uncompressed-corrupt-checksum.parquet', 'read 1000 rows'],
  ['ARROW-GH-43605.parquet', 'read 21186 rows'],
]);

describe('parquet-bad: malformed Parquet files', () => {
  for (const name of readdirSync(BAD).filter((f) => f.endsWith('.parquet')).sort()) {
    it(name, { timeout: 30_000 }, async () => {
      const result = await outcome(join(BAD, name), 'parquet');
      if (!READABLE.has(name)) expect(result).toBe('ORTQ_INPUT_CORRUPT');
      expect(result).toBe(READABLE.get(name) ?? 'ORTQ_INPUT_CORRUPT');
      const good = await readAll(await inputFile(GOOD_PARQUET));
      expect(columnValues(good, 'id')).toHaveLength(8);
    });
  }
});
