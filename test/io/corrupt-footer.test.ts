import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isOrtqError } from '../../src/errors.js';
import { inspectInput } from '../../src/io/inspect.js';
import { readAll, inputFile, INTEROP } from './helpers.js';

/**
 * A damaged Arrow IPC footer is ORTQ_INPUT_CORRUPT (issue 11, item 9), never a
 * schema mismatch against the model, a silent short read, or a decoder that
 * allocates until the heap is gone (one flipped length byte did that).
 */

let dir: string;
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'ortq-footer-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

function footerRange(bytes: Uint8Array): { start: number; end: number } {
  const end = bytes.length - 10;
  const len = new DataView(bytes.buffer, bytes.byteOffset).getInt32(end, true);
  return { start: end - len, end };
}

async function outcome(bytes: Uint8Array, name: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  const file = await inputFile(path, 'arrow');
  try {
    const layout = await inspectInput(file);
    const rows = (await readAll(file)).reduce((n, b) => n + b.numRows, 0);
    return `read ${rows} rows of ${layout.schema.fields.length} columns`;
  } catch (err) {
    return isOrtqError(err) ? err.code : `uncoded: ${String(err)}`;
  }
}

describe('corrupt Arrow IPC footers', () => {
  it('a field renamed in the footer (the file repeats its schema up front) is ORTQ_INPUT_CORRUPT', async () => {
    const good = new Uint8Array(await readFile(join(INTEROP, 'arrow', 'generated_primitive.arrow_file')));
    const { start, end } = footerRange(good);
    const at = Buffer.from(good.subarray(start, end)).indexOf('bool_nullable');
    expect(at).toBeGreaterThan(0);
    const bad = Uint8Array.from(good);
    bad[start + at] = 'c'.charCodeAt(0); // bool_nullable → cool_nullable: a valid schema, not the file's
    expect(await outcome(good, 'good.arrow')).toBe('read 37 rows of 30 columns');
    expect(await outcome(bad, 'renamed.arrow')).toBe('ORTQ_INPUT_CORRUPT');
  });

  it('every single-byte change to a footer reads the same table or is ORTQ_INPUT_CORRUPT', { timeout: 60_000 }, async () => {
    const t = tableFromArrays({ id: Float64Array.from([1, 2, 3]), f0: Float64Array.from([1, 2, 3]), f1: Float64Array.from([4, 5, 6]) });
    const good = tableToIPC(t, 'file');
    const { start, end } = footerRange(good);
    const seen = new Map<string, number>();
    for (let pos = start; pos < end; pos++) {
      for (const v of [0x00, 0xff, 0x7f]) {
        if (good[pos] === v) continue;
        const bad = Uint8Array.from(good);
        bad[pos] = v;
        const o = await outcome(bad, 'flip.arrow');
        seen.set(o, (seen.get(o) ?? 0) + 1);
      }
    }
    // a changed name or float width cannot be told from the data in a file without a leading
    // schema message (apache-arrow's JS writer), and is then reported against the model
    for (const o of seen.keys()) expect(o).toMatch(/^(ORTQ_INPUT_CORRUPT|ORTQ_SCHEMA_MISMATCH|read 3 rows of 3 columns)$/);
    expect(seen.get('ORTQ_INPUT_CORRUPT')).toBeGreaterThan(400);
  });
});
