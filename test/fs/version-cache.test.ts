import { mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileVersionCache, fileVersionCacheAt } from '../../src/fs/version-cache.js';

describe('fileVersionCache', () => {
  let dir = '';
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  /** a file of `content` in a fresh directory, left alone until its ctime is over a second old (what the cache keeps) */
  async function settledFile(content: string): Promise<string> {
    dir = await mkdtemp(join(tmpdir(), 'ortq-vcache-'));
    const file = join(dir, 'a.csv');
    await writeFile(file, content);
    await sleep(1100);
    return file;
  }

  it('derives once per settled file version, again after an in-place rewrite of the same size', async () => {
    dir = await mkdtemp(join(tmpdir(), 'ortq-vcache-'));
    const file = join(dir, 'a.csv');
    await writeFile(file, 'x\n1\n');
    let derived = 0;
    const layout = fileVersionCache(4, async () => ++derived);
    // a file changed in the last second is not kept
    await layout(file);
    await sleep(1100);
    const first = derived + 1;
    expect(await layout(file)).toBe(first);
    expect(await layout(file)).toBe(first);
    // same size, rewritten in place: ctime moves, so it is derived again (and kept once settled)
    await writeFile(file, 'x\n2\n');
    expect(await layout(file)).toBe(first + 1);
    await sleep(1100);
    expect(await layout(file)).toBe(first + 2);
    expect(await layout(file)).toBe(first + 2);
  });

  it('does not keep a failed derivation', async () => {
    dir = await mkdtemp(join(tmpdir(), 'ortq-vcache-'));
    const file = join(dir, 'a.csv');
    await writeFile(file, 'x\n');
    let calls = 0;
    const layout = fileVersionCache(4, async () => {
      calls++;
      if (calls === 1) throw new Error('first read fails');
      return calls;
    });
    await expect(layout(file)).rejects.toThrow('first read fails');
    expect(await layout(file)).toBe(2);
  });

  it('does not keep a value `keep` refuses (the Arrow footer cache: footers of too many blocks)', async () => {
    const file = await settledFile('x\n');
    let derived = 0;
    const layout = fileVersionCache(4, async () => ++derived, { keep: (v) => v > 2 });
    expect(await layout(file)).toBe(1);
    expect(await layout(file)).toBe(2);
    expect(await layout(file)).toBe(3);
    expect(await layout(file)).toBe(3);
  });

  it('fileVersionCacheAt keys on the stat the caller took (an open handle\'s), and derives from the caller\'s source', async () => {
    const file = await settledFile('x\n1\n');
    const opened = await stat(file, { bigint: true });
    const seen: string[] = [];
    const footer = fileVersionCacheAt(4, async (_path: string, source: string) => { seen.push(source); return source; });
    expect(await footer(file, opened, 'first handle')).toBe('first handle');
    expect(await footer(file, opened, 'second handle')).toBe('first handle');
    // the path now names another file: a caller holding the old one open still gets its version,
    // one that opened the new file derives from it
    await writeFile(join(dir, 'b.csv'), 'x\n2\n');
    await rename(join(dir, 'b.csv'), file);
    expect(await footer(file, opened, 'third handle')).toBe('first handle');
    expect(await footer(file, await stat(file, { bigint: true }), 'new file')).toBe('new file');
    expect(seen).toEqual(['first handle', 'new file']);
  });
});
