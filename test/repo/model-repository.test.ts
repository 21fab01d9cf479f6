import { existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/repo/digests.js';
import { externalDataModel, Scratch } from './fixtures.js';

let s: Scratch;
beforeEach(() => {
  s = new Scratch();
});
afterEach(() => s.cleanup());

/** Every entry under the root except the build folder, which save empties again. */
function stored(root: string): string[] {
  if (!existsSync(root)) return [];
  const tmp = join(root, '.tmp');
  return [...readdirSync(root).filter((e) => e !== '.tmp'), ...(existsSync(tmp) ? readdirSync(tmp) : [])];
}

describe('ModelRepository save / resolve / load', () => {
  it('saves, resolves every tag form and loads verified bytes', async () => {
    const repo = s.repo();
    const file = s.linear();
    const m1 = await repo.save('lin', file, { version: 'v1', labels: { team: 'ml' }, metadata: { accuracy: 0.9 }, lineage: { dataset: 'd1' } });
    expect(m1).toMatchObject({ name: 'lin', version: 'v1', labels: { team: 'ml' }, metadata: { accuracy: 0.9 }, lineage: { dataset: 'd1' } });
    expect(m1.digest).toBe(`sha256:${sha256Hex(readFileSync(file))}`);
    expect(m1.onnx).toMatchObject({ irVersion: 8, opsets: { 'ai.onnx': 17 }, producer: 'ortq-builder' });
    expect(m1.onnx.inputs).toEqual([{ name: 'input', elemType: 'float32', shape: ['N', 3] }]);
    expect(m1.signature.outputs).toEqual([{ name: 'output', elemType: 'float32', shape: ['N', 2] }]);
    expect(m1.versions.onnxruntime).toMatch(/^\d+\.\d+/);
    expect(readdirSync(join(s.root, 'lin', 'v1')).sort()).toEqual(['manifest.json', 'model.onnx']);

    const m2 = await repo.save('lin', s.linear('b.onnx', 2), { aliases: ['champion'] });
    expect(m2.version).toMatch(/^\d{8}-\d{6}-\d{3}-[0-9a-f]{6}$/);
    expect((await repo.resolve('lin')).version).toBe(m2.version);
    expect((await repo.resolve('lin:latest')).version).toBe(m2.version);
    expect((await repo.resolve('lin:v1')).tag).toBe('lin:v1');
    expect((await repo.resolve('lin@champion')).version).toBe(m2.version);

    const loaded = await repo.load('lin:v1');
    expect(Buffer.from(loaded.bytes).equals(readFileSync(file))).toBe(true);
    expect(loaded.model.digest).toBe(m1.digest);
    const again = await repo.load(await repo.resolve('lin:v1'));
    expect(again.model.tag).toBe('lin:v1');
  });

  it('reports not found with a hint, and refuses bad names before touching the disk', async () => {
    const repo = s.repo();
    await expect(repo.resolve('iris:v9')).rejects.toMatchObject({ code: 'ORTQ_MODEL_NOT_FOUND', message: expect.stringContaining('run "ortq models list"') });
    await expect(repo.resolve('iris@nope')).rejects.toMatchObject({ code: 'ORTQ_MODEL_NOT_FOUND' });
    for (const bad of ['../x', 'A B', '', 'a/b']) {
      await expect(repo.save(bad, s.linear())).rejects.toMatchObject({ code: 'ORTQ_INVALID_NAME' });
    }
    await expect(repo.save('ok', s.linear(), { version: '../../etc' })).rejects.toMatchObject({ code: 'ORTQ_INVALID_NAME' });
    await expect(repo.save('ok', s.linear(), { version: 'latest' })).rejects.toMatchObject({ code: 'ORTQ_INVALID_NAME' });
    expect(existsSync(s.root)).toBe(false);
  });

  it('never overwrites a version', async () => {
    const repo = s.repo();
    await repo.save('lin', s.linear(), { version: 'v1' });
    await expect(repo.save('lin', s.linear('c.onnx', 3), { version: 'v1' })).rejects.toMatchObject({ code: 'ORTQ_MODEL_EXISTS' });
    expect((await repo.load('lin:v1')).model.version).toBe('v1');
  });

  it.each([
    ['garbage', Buffer.from('this is not an onnx model at all\n')],
    ['empty', Buffer.alloc(0)],
    ['truncated', () => s.linear().slice(0, 0)],
  ])('refuses a %s file with ORTQ_MODEL_INVALID and writes nothing', async (_kind, content) => {
    const repo = s.repo();
    const bytes = typeof content === 'function' ? readFileSync(s.linear()).subarray(0, 60) : content;
    const file = s.file('bad.onnx', bytes);
    await expect(repo.save('bad', file)).rejects.toMatchObject({ code: 'ORTQ_MODEL_INVALID' });
    expect(stored(s.root)).toEqual([]);
  });

  it('refuses a model onnxruntime cannot open, with onnxruntime\'s reason', async () => {
    const { GraphBuilder } = await import('../../src/onnx/builder.js');
    const { DataType } = await import('../../src/onnx/proto.js');
    const g = new GraphBuilder().input('x', DataType.FLOAT, [null, 2]).output('y', DataType.FLOAT, [null, 2]);
    g.node('NoSuchOperator', ['x'], ['y']);
    const file = s.file('weird.onnx', g.build());
    const err = await s.repo().save('weird', file).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ORTQ_MODEL_INVALID', message: expect.stringMatching(/onnxruntime cannot load.*NoSuchOperator/s) });
    expect(stored(s.root)).toEqual([]);
  });

  it('refuses a tampered file on load, naming the file', async () => {
    const repo = s.repo();
    await repo.save('lin', s.linear(), { version: 'v1' });
    const path = join(s.root, 'lin', 'v1', 'model.onnx');
    const bytes = readFileSync(path);
    bytes[bytes.length - 1] ^= 0xff;
    writeFileSync(path, bytes);
    await expect(repo.load('lin:v1')).rejects.toMatchObject({ code: 'ORTQ_MODEL_CORRUPT', message: expect.stringContaining('model.onnx') });
    const report = await repo.verify();
    expect(report).toMatchObject([{ tag: 'lin:v1', ok: false, problems: [expect.stringContaining('model.onnx')] }]);
  });

  it('lists versions newest first with aliases, and gets one', async () => {
    const repo = s.repo();
    await repo.save('a', s.linear(), { version: 'v1' });
    await repo.save('a', s.linear(), { version: 'v2', aliases: ['prod'] });
    await repo.save('b', s.linear(), { version: 'v1' });
    const all = await repo.list();
    expect(all.map((x) => x.tag)).toEqual(['a:v2', 'a:v1', 'b:v1']);
    expect(all[0].aliases).toEqual(['prod']);
    expect((await repo.list('b')).map((x) => x.tag)).toEqual(['b:v1']);
    expect(await repo.get('a@prod')).toMatchObject({ tag: 'a:v2', aliases: ['prod'], signed: false });
  });
});

describe('ZipMap classifiers', () => {
  it('scores a default skl2onnx classifier after save, with labels in the manifest', async () => {
    const repo = s.repo();
    const { path, model } = s.classifier();
    const m = await repo.save('iris', path, { version: 'v1' });
    expect(m.classLabels).toEqual({ output_probability: ['setosa', 'versicolor', 'virginica'] });
    expect(m.signature.outputs.map((o) => [o.name, o.elemType])).toEqual([['output_label', 'string'], ['output_probability', 'float32']]);
    expect(m.onnx.outputs[1].elemType).toBe('seq(map(string,float32))');
    expect(Buffer.from(readFileSync(join(s.root, 'iris', 'v1', 'original.onnx'))).equals(Buffer.from(model.bytes))).toBe(true);

    const { bytes } = await repo.load('iris:v1');
    const session = await ort.InferenceSession.create(bytes);
    const n = 50;
    const x = new Float32Array(n * 4).map((_, i) => Math.sin(i * 1.7) * 3);
    const out = await session.run({ float_input: new ort.Tensor('float32', x, [n, 4]) });
    const probs = out.output_probability.data as Float32Array;
    const labels = out.output_label.data as string[];
    expect(out.output_probability.dims).toEqual([n, 3]);
    for (let r = 0; r < n; r++) {
      const row = Array.from(probs.subarray(r * 3, r * 3 + 3));
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(m.classLabels!.output_probability[row.indexOf(Math.max(...row))]).toBe(labels[r]);
    }
    await session.release();
  });

  it('keeps integer class labels', async () => {
    const { zipMapClassifier } = await import('../../src/onnx/model-zoo.js');
    const file = s.file('int.onnx', zipMapClassifier({ features: 2, classes: [0, 1, 7] }).bytes);
    const m = await s.repo().save('intc', file);
    expect(m.classLabels).toEqual({ output_probability: [0, 1, 7] });
  });

  it('names the exposed tensor after the declared ZipMap output, whatever a converter chose', async () => {
    const { zipMapClassifier } = await import('../../src/onnx/model-zoo.js');
    for (const name of ['probabilities', 'scores']) {
      // the tensor feeding ZipMap is `probs_tensor` or `probabilities`: never the column prefix
      const file = s.file(`${name}.onnx`, zipMapClassifier({ features: 2, classes: ['a', 'b'], probabilityOutput: name }).bytes);
      const m = await s.repo().save(`zm-${name}`, file);
      expect(m.classLabels).toEqual({ [name]: ['a', 'b'] });
      expect(m.signature.outputs.map((o) => o.name)).toEqual(['output_label', name]);
    }
  });

  it('records class labels of classifiers without ZipMap (classlabels_* of the ONNX-ML node)', async () => {
    const { zipMapClassifier } = await import('../../src/onnx/model-zoo.js');
    const file = s.file('nozm.onnx', zipMapClassifier({ features: 2, classes: ['x', 'y', 'z'], probabilityOutput: 'probabilities', zipMap: false }).bytes);
    const m = await s.repo().save('nozm', file);
    expect(m.rewrites).toEqual([]);
    expect(m.classLabels).toEqual({ probabilities: ['x', 'y', 'z'] });
  });
});

describe('external data', () => {
  it('copies side files into the version, covers them by digests and scores', async () => {
    const { bytes, weights } = externalDataModel('weights.bin');
    s.file('weights.bin', new Uint8Array(weights.buffer));
    const repo = s.repo();
    const m = await repo.save('ext', s.file('ext.onnx', bytes), { version: 'v1' });
    expect(m.externalData).toEqual(['weights.bin']);
    expect(Object.keys(m.files).sort()).toEqual(['model.onnx', 'weights.bin']);
    const dir = join(s.root, 'ext', 'v1');
    const session = await ort.InferenceSession.create(join(dir, 'model.onnx'));
    const out = await session.run({ input: new ort.Tensor('float32', new Float32Array([1, 1, 1]), [1, 3]) });
    expect(out.output.data[0]).toBeCloseTo(1.5);
    await session.release();
    writeFileSync(join(dir, 'weights.bin'), new Uint8Array(12));
    await expect(repo.load('ext:v1')).rejects.toMatchObject({ code: 'ORTQ_MODEL_CORRUPT', message: expect.stringContaining('weights.bin') });
  });

  it.each(['../outside.bin', '/etc/passwd', 'sub/../../outside.bin', 'C:\\x.bin'])('refuses location %j', async (loc) => {
    const file = s.file('ext.onnx', externalDataModel(loc).bytes);
    await expect(s.repo().save('ext', file)).rejects.toMatchObject({ code: 'ORTQ_MODEL_INVALID' });
    expect(stored(s.root)).toEqual([]);
  });

  it('refuses a symlink that escapes the model folder', async () => {
    const { mkdirSync } = await import('node:fs');
    const modelDir = join(s.dir, 'm');
    mkdirSync(modelDir);
    const outside = s.file('secret.bin', new Uint8Array(12));
    symlinkSync(outside, join(modelDir, 'weights.bin'));
    const file = join(modelDir, 'ext.onnx');
    writeFileSync(file, externalDataModel('weights.bin').bytes);
    await expect(s.repo().save('ext', file)).rejects.toMatchObject({ code: 'ORTQ_MODEL_INVALID', message: expect.stringContaining('escapes') });
  });
});

describe('attachments', () => {
  it('stores attachments under digests and refuses pickles', async () => {
    const repo = s.repo();
    const labels = s.file('labels.json', JSON.stringify(['a', 'b']));
    const m = await repo.save('lin', s.linear(), { version: 'v1', attachments: [labels] });
    expect(m.attachments).toEqual(['attachments/labels.json']);
    expect(m.files['attachments/labels.json'].sha256).toBe(sha256Hex(readFileSync(labels)));
    await expect(repo.save('lin', s.linear(), { attachments: [s.file('model.pkl', 'x')] })).rejects.toMatchObject({ code: 'ORTQ_MODEL_INVALID' });
    await expect(repo.save('lin', s.linear(), { attachments: [s.file('scaler.joblib', 'x')] })).rejects.toMatchObject({ code: 'ORTQ_MODEL_INVALID' });
    const disguised = s.file('vocab.txt', new Uint8Array([0x80, 0x04, 0x95, 0, 0]));
    await expect(repo.save('lin', s.linear(), { attachments: [disguised] })).rejects.toMatchObject({ code: 'ORTQ_MODEL_INVALID', message: expect.stringContaining('pickle') });
    expect((await repo.list('lin')).length).toBe(1);
  });
});

describe('aliases, delete and prune', () => {
  it('moves an alias atomically with history, and rolls back step by step', async () => {
    const repo = s.repo();
    for (const v of ['v1', 'v2', 'v3']) await repo.save('m', s.linear(), { version: v });
    await repo.setAlias('m', 'champion', 'v1');
    await repo.setAlias('m', 'champion', 'v2');
    await repo.setAlias('m', 'champion', 'm:v3');
    expect((await repo.resolve('m@champion')).version).toBe('v3');
    expect(await repo.rollbackAlias('m', 'champion')).toMatchObject({ from: 'v3', to: 'v2', action: 'rollback' });
    expect((await repo.resolve('m@champion')).version).toBe('v2');
    await repo.rollbackAlias('m', 'champion');
    expect((await repo.resolve('m@champion')).version).toBe('v1');
    await repo.rollbackAlias('m', 'champion');
    await expect(repo.resolve('m@champion')).rejects.toMatchObject({ code: 'ORTQ_MODEL_NOT_FOUND' });
    await expect(repo.rollbackAlias('m', 'champion')).rejects.toMatchObject({ code: 'ORTQ_USAGE' });
    const { history } = await repo.aliases('m');
    expect(history.map((e) => [e.from, e.to, e.action])).toEqual([
      [null, 'v1', 'move'], ['v1', 'v2', 'move'], ['v2', 'v3', 'move'],
      ['v3', 'v2', 'rollback'], ['v2', 'v1', 'rollback'], ['v1', null, 'rollback'],
    ]);
    await expect(repo.setAlias('m', 'champion', 'v9')).rejects.toMatchObject({ code: 'ORTQ_MODEL_NOT_FOUND' });
    await expect(repo.setAlias('m', 'latest', 'v1')).rejects.toMatchObject({ code: 'ORTQ_INVALID_NAME' });
  });

  it('refuses to delete an aliased version unless forced; prune keeps aliased versions', async () => {
    const repo = s.repo();
    for (const v of ['v1', 'v2', 'v3', 'v4']) await repo.save('m', s.linear(), { version: v });
    await repo.setAlias('m', 'prod', 'v1');
    await expect(repo.delete('m:v1')).rejects.toMatchObject({ code: 'ORTQ_MODEL_IN_USE' });
    await repo.delete('m:v2');
    await expect(repo.resolve('m:v2')).rejects.toMatchObject({ code: 'ORTQ_MODEL_NOT_FOUND' });
    expect(await repo.prune('m', { keep: 1, dryRun: true })).toEqual({ kept: ['m:v4', 'm:v1'], deleted: ['m:v3'] });
    expect((await repo.list('m')).length).toBe(3);
    expect(await repo.prune('m', { keep: 1 })).toEqual({ kept: ['m:v4', 'm:v1'], deleted: ['m:v3'] });
    expect((await repo.list('m')).map((x) => x.version)).toEqual(['v4', 'v1']);
    expect(await repo.delete('m@prod', { force: true })).toEqual({ tag: 'm:v1', removedAliases: ['prod'] });
    expect((await repo.aliases('m')).aliases).toEqual({});
    expect(stored(s.root)).toEqual(['m']);
  });
});

describe('signing and the trust policy', () => {
  it('loads only validly signed models when requireSignature is on', async () => {
    const { generateSigningKeys } = await import('../../src/repo/signing.js');
    const keys = await generateSigningKeys(join(s.dir, 'keys'));
    const other = await generateSigningKeys(join(s.dir, 'other'));
    const open = s.repo();
    await open.save('m', s.linear(), { version: 'v1' });
    await open.save('m', s.linear(), { version: 'v2' });
    const strict = s.repo({ requireSignature: true, publicKeys: [keys.publicKey] });
    await expect(strict.load('m:v1')).rejects.toMatchObject({ code: 'ORTQ_MODEL_UNTRUSTED', message: expect.stringContaining('not signed') });

    const sig = await open.sign('m:v1', keys.privateKey);
    expect(sig.keyId).toBe(keys.keyId);
    expect((await strict.load('m:v1')).model.tag).toBe('m:v1');
    expect(await strict.verify('m:v1')).toMatchObject([{ ok: true, signature: 'valid' }]);

    await open.sign('m:v2', other.privateKey);
    await expect(strict.load('m:v2')).rejects.toMatchObject({ code: 'ORTQ_MODEL_UNTRUSTED', message: expect.stringContaining('not among the trusted keys') });

    // a forged signature with the trusted key id
    const sigPath = join(s.root, 'm', 'v1', 'signature.json');
    const forged = JSON.parse(readFileSync(sigPath, 'utf8'));
    forged.signature = Buffer.alloc(64, 1).toString('base64');
    writeFileSync(sigPath, JSON.stringify(forged));
    await expect(strict.load('m:v1')).rejects.toMatchObject({ code: 'ORTQ_MODEL_UNTRUSTED', message: expect.stringContaining('does not verify') });

    // editing the manifest after signing breaks the signature
    await open.sign('m:v1', keys.privateKey);
    const manPath = join(s.root, 'm', 'v1', 'manifest.json');
    const man = JSON.parse(readFileSync(manPath, 'utf8'));
    man.labels = { stage: 'prod' };
    writeFileSync(manPath, JSON.stringify(man, null, 2));
    await expect(strict.load('m:v1')).rejects.toMatchObject({ code: 'ORTQ_MODEL_UNTRUSTED', message: expect.stringContaining('changed after it was signed') });

    const noKeys = s.repo({ requireSignature: true, publicKeys: [] });
    await expect(noKeys.load('m:v2')).rejects.toMatchObject({ code: 'ORTQ_MODEL_UNTRUSTED' });
  });
});

describe('signing keys in errors', () => {
  it('a bad inline private key is not echoed back', async () => {
    const { loadPrivateKey } = await import('../../src/repo/signing.js');
    const secret = '-----BEGIN PRIVATE KEY-----\nTOPSECRETTOPSECRET\n-----END PRIVATE KEY-----\n';
    const err = (() => { try { loadPrivateKey(secret); } catch (e) { return e as Error; } return null; })();
    expect(err).not.toBeNull();
    expect(err!.message).not.toContain('TOPSECRET');
  });
});
