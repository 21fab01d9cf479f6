import { createWriteStream, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import tar from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Scratch } from './fixtures.js';

let s: Scratch;
beforeEach(() => {
  s = new Scratch();
});
afterEach(() => s.cleanup());

/** Writes a tar with the given entries (no validation: for hostile archives). */
async function writeTar(path: string, entries: Array<{ name: string; body: string | Uint8Array; type?: 'file' | 'symlink'; linkname?: string }>): Promise<void> {
  const pack = tar.pack();
  const out = createWriteStream(path);
  const done = new Promise((resolve) => out.on('close', resolve));
  pack.pipe(out);
  for (const e of entries) {
    if (e.type === 'symlink') pack.entry({ name: e.name, type: 'symlink', linkname: e.linkname });
    else pack.entry({ name: e.name }, Buffer.from(e.body));
  }
  pack.finalize();
  await done;
}

describe('export / import', () => {
  it('round-trips byte-identically, signature and attachments included', async () => {
    const a = s.repo();
    const { path } = s.classifier();
    await a.save('iris', path, { version: 'v1', attachments: [s.file('labels.json', '["a"]')], aliases: ['champion'] });
    const { generateSigningKeys } = await import('../../src/repo/signing.js');
    await a.sign('iris:v1', (await generateSigningKeys(join(s.dir, 'k'))).privateKey);
    const first = join(s.dir, 'first.tar');
    expect(await a.exportArchive('iris@champion', first)).toMatchObject({ tag: 'iris:v1' });

    const b = s.repoAt(join(s.dir, 'other'));
    expect(await b.importArchive(first)).toEqual({ tag: 'iris:v1', status: 'imported' });
    expect(await b.importArchive(first)).toEqual({ tag: 'iris:v1', status: 'unchanged' });
    const second = join(s.dir, 'second.tar');
    await b.exportArchive('iris:v1', second);
    expect(readFileSync(second).equals(readFileSync(first))).toBe(true);
    expect((await b.load('iris:v1')).model.manifest.classLabels).toEqual({ output_probability: ['setosa', 'versicolor', 'virginica'] });
    expect(await b.verify()).toMatchObject([{ tag: 'iris:v1', ok: true }]);
  });

  it('refuses a clash with different content', async () => {
    const a = s.repo();
    await a.save('m', s.linear('a.onnx', 1), { version: 'v1' });
    const file = join(s.dir, 'm.tar');
    await a.exportArchive('m:v1', file);
    const b = s.repoAt(join(s.dir, 'other'));
    await b.save('m', s.linear('b.onnx', 2), { version: 'v1' });
    await expect(b.importArchive(file)).rejects.toMatchObject({ code: 'ORTQ_ARCHIVE_INVALID', message: expect.stringContaining('different content') });
  });

  it('refuses an archive whose files do not match the manifest', async () => {
    const a = s.repo();
    await a.save('m', s.linear(), { version: 'v1' });
    const dir = join(s.root, 'm', 'v1');
    const manifest = readFileSync(join(dir, 'manifest.json'));
    const model = Buffer.from(readFileSync(join(dir, 'model.onnx')));
    model[model.length - 1] ^= 1;
    const file = join(s.dir, 'bad.tar');
    await writeTar(file, [{ name: 'm/v1/manifest.json', body: manifest }, { name: 'm/v1/model.onnx', body: model }]);
    const b = s.repoAt(join(s.dir, 'other'));
    await expect(b.importArchive(file)).rejects.toMatchObject({ code: 'ORTQ_ARCHIVE_INVALID', message: expect.stringContaining('model.onnx') });
    expect(await b.list()).toEqual([]);
  });

  it.each([
    ['../../evil.txt'],
    ['m/v1/../../../evil.txt'],
    ['/etc/evil.txt'],
    ['m/v1/./x'],
    ['M/v1/model.onnx'],
  ])('refuses the path-traversal entry %j', async (name) => {
    const file = join(s.dir, 'evil.tar');
    await writeTar(file, [{ name, body: 'x' }]);
    await expect(s.repo().importArchive(file)).rejects.toMatchObject({ code: 'ORTQ_ARCHIVE_INVALID' });
    expect(() => readFileSync(join(s.dir, 'evil.txt'))).toThrow();
    // an escaping entry could land anywhere above the import folder, not only in s.dir
    expect(readdirSync(s.dir, { recursive: true }).filter((p) => String(p).endsWith('evil.txt'))).toEqual([]);
  });

  it('refuses symlink entries and non-tar files', async () => {
    const file = join(s.dir, 'link.tar');
    await writeTar(file, [{ name: 'm/v1/model.onnx', body: '', type: 'symlink', linkname: '/etc/passwd' }]);
    await expect(s.repo().importArchive(file)).rejects.toMatchObject({ code: 'ORTQ_ARCHIVE_INVALID' });
    const junk = join(s.dir, 'junk.tar');
    writeFileSync(junk, 'not a tar file'.repeat(100));
    await expect(s.repo().importArchive(junk)).rejects.toMatchObject({ code: 'ORTQ_ARCHIVE_INVALID' });
  });
});
