import { describe, expect, it } from 'vitest';
import { isOrtqError } from '../../src/errors.js';
import { parseJobSpec } from '../../src/kinds/job-file.js';
import { kindEntry, kindForQueue, knownKinds, loadKind } from '../../src/kinds/registry.js';
import type { PlannedInput } from '../../src/predict/types.js';

describe('job-kind registry', () => {
  it('knows predict, with its queue and step order', () => {
    expect(knownKinds()).toContain('predict');
    expect(kindEntry('predict')).toMatchObject({ queue: 'predict', order: 'parallel' });
    expect(kindForQueue('predict')?.name).toBe('predict');
    expect(kindForQueue('nope')).toBeNull();
  });

  it('an unknown kind is ORTQ_JOB_INVALID listing the known kinds', async () => {
    const err = await parseJobSpec({ kind: 'retrain-all', name: 'x' }, { baseDir: '/p', source: 'job.yaml' }).catch((e) => e);
    expect(isOrtqError(err, 'ORTQ_JOB_INVALID')).toBe(true);
    expect(err.message).toContain('job.yaml: kind: unknown job kind "retrain-all"');
    expect(err.message).toContain('known: predict');
    expect(err.details.known).toEqual(knownKinds());
  });

  it('a spec without kind is predict, validated by the predict kind', async () => {
    const spec = await parseJobSpec({ name: 'j', model: 'm', input: { path: 'd' }, features: { x: ['a'] }, output: { path: 'o' } }, { baseDir: '/p' });
    expect(spec).toMatchObject({ kind: 'predict', name: 'j', output: { path: '/p/o' } });
    const bad = await parseJobSpec({ kind: 'predict', name: 'j' }, { baseDir: '/p' }).catch((e) => e);
    expect(isOrtqError(bad, 'ORTQ_JOB_INVALID')).toBe(true);
  });

  it('predict plans purely from spec and facts: no disk, no Redis, no onnxruntime session', async () => {
    const kind = await loadKind('predict');
    const spec = kind.parseSpec({ name: 'j', model: 'm@champion', input: { path: 'd' }, features: { x: ['a'] }, output: { path: 'o' } }, { baseDir: '/p', source: 'job' });
    const input: PlannedInput = { path: '/p/d/a.parquet', format: 'parquet', size: 1, digest: 'xxh3-64:00000000000000aa', rows: 30, units: 3, unitRows: [10, 10, 10] };
    const facts = { model: { name: 'm', version: '1', tag: 'm:1', requested: 'm@champion', digest: 'sha256:1' }, inputs: [input] };
    const plan = kind.plan(spec, facts, { shardRows: 10, runDirFor: (id: string) => `/elsewhere/run=${id}` });
    expect(plan.runDir).toBe(`/elsewhere/run=${plan.runId}`);
    expect(kind.steps(plan).map((s: { id: string }) => s.id)).toEqual(['00000', '00001', '00002']);
    expect(kind.plan(spec, facts, { shardRows: 10, runDirFor: (id: string) => id }).runId).toBe(plan.runId);
    expect(kind.outputRoot(spec)).toBe('/p/o');
  });
});
