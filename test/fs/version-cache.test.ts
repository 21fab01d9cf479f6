import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileVersionCache } from '../../src/fs/version-cache.js';

describe('fileVersionCache', () => {
  let dir = '';
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

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
});
