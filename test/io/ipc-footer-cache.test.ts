import { mkdtemp, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArrowFileReader, arrowFooterReads } from '../../src/io/ipc-file.js';

let dir: string;
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'ortq-footer-cache-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

const file = (cols: Record<string, number[]>) => tableToIPC(tableFromArrays(Object.fromEntries(Object.entries(cols).map(([k, v]) => [k, Float64Array.from(v)]))), 'file');
async function read(path: string): Promise<{ names: string[]; values: number[] }> {
  const r = await ArrowFileReader.open(path);
  try {
    const b = await r.readBatch(0);
    return { names: r.schema.fields.map((f) => f.name), values: Array.from(b.getChildAt(0)!.toArray() as Float64Array) };
  } finally {
    await r.close();
  }
}

describe('ArrowFileReader keeps checked footers per file version', () => {
  it('a settled file opened again reads the same; replaced or rewritten, it is read and checked again', async () => {
    const path = join(dir, 'in.arrow');
    await writeFile(path, file({ a: [1, 2, 3] }));
    // settled: its last change more than a second ago (the footer is kept only then); ctime cannot be
    // set back, so wait it out
    await new Promise((r) => setTimeout(r, 1100));
    const before = { ...arrowFooterReads };
    expect(await read(path)).toEqual({ names: ['a'], values: [1, 2, 3] });
    expect(await read(path)).toEqual({ names: ['a'], values: [1, 2, 3] });
    // the first open read and checked the footer, the second took it as kept
    expect(arrowFooterReads).toEqual({ checked: before.checked + 1, kept: before.kept + 1 });
    // replaced by another file (another inode) with the same size and another schema
    await writeFile(join(dir, 'next.arrow'), file({ b: [4, 5, 6] }));
    await rename(join(dir, 'next.arrow'), path);
    expect(await read(path)).toEqual({ names: ['b'], values: [4, 5, 6] });
    expect(arrowFooterReads.checked).toBe(before.checked + 2);
    // rewritten in place with a damaged footer, its mtime set back to the old one: ctime still moves
    const bytes = file({ b: [4, 5, 6] });
    await new Promise((r) => setTimeout(r, 1100));
    await read(path);
    const bad = Uint8Array.from(bytes);
    bad[bad.length - 12] ^= 0xff;
    await writeFile(path, bad);
    await utimes(path, new Date(0), new Date(0));
    // not the kept footer (that would read 4, 5, 6): the damaged one, which fails
    await expect(read(path)).rejects.toThrow();
  });
});
