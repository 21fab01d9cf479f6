import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { isOrtqError } from '../../src/errors.js';
import { applySets, jobJsonSchema, loadJobFile, parseJob } from '../../src/predict/job-spec.js';

const base = {
  kind: 'predict', name: 'iris-score', model: 'iris@champion',
  input: { path: 'data/*.parquet' }, features: { input: ['a', 'b'] }, output: { path: 'out' },
};

describe('job spec', () => {
  it('fills defaults and resolves paths against the base dir', () => {
    const job = parseJob(base, { baseDir: '/srv/proj' });
    expect(job).toMatchObject({
      batchSize: 16384, nulls: 'error', passthrough: [], outputs: {},
      input: { path: '/srv/proj/data/*.parquet' }, output: { path: '/srv/proj/out', format: 'parquet' },
    });
  });

  it('lists every problem with its field path', () => {
    try {
      parseJob({ ...base, name: 'Bad Name', batchSize: -1, output: { path: 'o', format: 'xlsx' }, extra: 1 }, { baseDir: '/', source: 'jobs/x.yaml' });
      expect.unreachable();
    } catch (err) {
      expect(isOrtqError(err, 'ORTQ_JOB_INVALID')).toBe(true);
      const msg = (err as Error).message;
      expect(msg).toContain('jobs/x.yaml');
      expect(msg).toContain('name:');
      expect(msg).toContain('batchSize:');
      expect(msg).toContain('output.format:');
      expect(msg).toMatch(/extra/);
    }
  });

  it('applies --set overrides with YAML scalars', () => {
    const out = applySets(base, ['output.format=csv', 'batchSize=100', 'nulls.fill=0', 'input.path=x/*.csv']);
    expect(out).toMatchObject({ output: { format: 'csv' }, batchSize: 100, nulls: { fill: 0 }, input: { path: 'x/*.csv' } });
    expect(() => applySets(base, ['novalue'])).toThrow(/--set expects/);
  });

  it('loads YAML files and reports YAML errors with the file name', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ortq-job-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'ok.yaml'), 'name: a\nmodel: m\ninput: {path: d.csv}\nfeatures: {x: [c]}\noutput: {path: o}\n');
    await writeFile(join(dir, 'bad.yaml'), 'name: [unclosed\n');
    const job = await loadJobFile(join(dir, 'ok.yaml'), ['output.format=arrow'], { baseDir: dir });
    expect(job.output).toEqual({ path: join(dir, 'o'), format: 'arrow' });
    await expect(loadJobFile(join(dir, 'bad.yaml'))).rejects.toThrow(/bad.yaml: not valid YAML/);
    await expect(loadJobFile(join(dir, 'missing.yaml'))).rejects.toThrow(/ENOENT/);
  });

  it('publishes a JSON Schema', () => {
    const schema = jobJsonSchema() as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['model', 'input', 'features', 'output', 'nulls']));
  });
});

describe('published JSON Schema', () => {
  it('docs/job.schema.json is up to date (regenerate: node -e "…allJobsJsonSchema()")', async () => {
    const { readFile } = await import('node:fs/promises');
    const { allJobsJsonSchema } = await import('../../src/kinds/job-schema.js');
    const onDisk = JSON.parse(await readFile(new URL('../../docs/job.schema.json', import.meta.url), 'utf8'));
    expect(onDisk).toEqual(JSON.parse(JSON.stringify(allJobsJsonSchema())));
  });
});
