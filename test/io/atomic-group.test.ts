import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromArrays, tableFromIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AtomicGroup } from '../../src/fs/atomic.js';
import { createPartWriter } from '../../src/io/write.js';

let dir: string;
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'ortq-group-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

const batch = () => tableFromArrays({ id: Int32Array.from([1, 2, 3]), score: Float32Array.from([0.5, 1, 2]) }).batches[0];

async function stagedRun(sub: string): Promise<{ group: AtomicGroup; part: string; receipt: string; digest: string; bytes: number }> {
  const group = new AtomicGroup();
  const part = join(dir, sub, 'part-00000.arrow');
  const receipt = join(dir, sub, '_shards', '00000.json');
  const w = createPartWriter(part, 'arrow', { group });
  await w.write(batch());
  const { digest, bytes } = await w.commit();
  await group.stageData(receipt, JSON.stringify({ digest }));
  return { group, part, receipt, digest, bytes };
}

describe('AtomicGroup: a part and its receipt made durable together', () => {
  it('nothing has its name before commit(); after it, both have, with the bytes written, and no temp file is left', async () => {
    const { group, part, receipt, digest, bytes } = await stagedRun('ok');
    // staged: only dot-prefixed temp files
    expect((await readdir(join(dir, 'ok'))).filter((n) => !n.startsWith('.') && n !== '_shards')).toEqual([]);
    expect((await readdir(join(dir, 'ok', '_shards'))).every((n) => n.includes('.tmp-'))).toBe(true);
    await group.commit();
    expect(await readdir(join(dir, 'ok'))).toEqual(['_shards', 'part-00000.arrow']);
    expect(await readdir(join(dir, 'ok', '_shards'))).toEqual(['00000.json']);
    const bytesOnDisk = await readFile(part);
    expect(bytesOnDisk.byteLength).toBe(bytes);
    expect(tableFromIPC(bytesOnDisk).getChild('id')!.toArray()).toEqual(Int32Array.from([1, 2, 3]));
    expect(JSON.parse(await readFile(receipt, 'utf8'))).toEqual({ digest });
    await expect(group.commit()).rejects.toThrow(/already committed/);
  });

  it('stageData makes a missing directory and stages into an existing one alike', async () => {
    const group = new AtomicGroup();
    await group.stageData(join(dir, 'dirs', 'a', 'b', 'one.json'), '1\n');
    await group.stageData(join(dir, 'dirs', 'a', 'b', 'two.json'), '2\n');
    await group.commit();
    expect(await readdir(join(dir, 'dirs', 'a', 'b'))).toEqual(['one.json', 'two.json']);
    expect(await readFile(join(dir, 'dirs', 'a', 'b', 'two.json'), 'utf8')).toBe('2\n');
  });

  it('abort() removes every staged temp file and names nothing', async () => {
    const { group } = await stagedRun('aborted');
    await group.abort();
    expect(await readdir(join(dir, 'aborted'))).toEqual(['_shards']);
    expect(await readdir(join(dir, 'aborted', '_shards'))).toEqual([]);
  });

  it('a commit that fails leaves no temp file behind and reports the error', async () => {
    const { group } = await stagedRun('failing');
    // the receipt's directory goes away under it: its rename fails (ENOENT)
    await rm(join(dir, 'failing', '_shards'), { recursive: true, force: true });
    await expect(group.commit()).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await readdir(join(dir, 'failing'))).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });
});
