import { describe, expect, it } from 'vitest';
import type { RunPlan } from '../../src/predict/types.js';
import { OrtqError, errorFromText, errorToText } from '../../src/errors.js';
import { parseQueueList, parseStepJobId, stepJobId } from '../../src/queue/queues.js';
import { buildRunFlow } from '../../src/queue/run-flow.js';

const predict = { name: 'predict', queue: 'predict', order: 'parallel' as const };
const train = { name: 'train', queue: 'train', order: 'sequence' as const };

function plan(shards: number): RunPlan {
  return {
    runId: 'score-3f9c0a1b2c3d4e5f0a1b',
    runDir: '/data/out/run=score-3f9c0a1b2c3d4e5f0a1b',
    job: { name: 'score' } as RunPlan['job'],
    model: { name: 'iris', version: '3', tag: 'iris:3', requested: 'iris@champion', digest: 'sha256:abc' },
    inputs: [],
    shards: Array.from({ length: shards }, (_, i) => ({ index: i, id: String(i).padStart(5, '0'), pieces: [], rows: 10 })),
    totalRows: shards * 10,
    createdAt: '2025-01-01T00:00:00.000Z',
  };
}

describe('run flow', () => {
  it('is one run job (id = runId) with one child per shard, ids without ":"', () => {
    const p = plan(60);
    const flow = buildRunFlow(predict, p, p.shards, { attempts: 5, backoffMs: 100 });
    expect(flow.queueName).toBe('runs');
    expect(flow.opts?.jobId).toBe('score-3f9c0a1b2c3d4e5f0a1b');
    expect(flow.children).toHaveLength(60);
    const ids = flow.children!.map((c) => c.opts!.jobId!);
    expect(new Set(ids).size).toBe(60);
    for (const id of ids) expect(id).not.toContain(':');
    expect(ids[42]).toBe('score-3f9c0a1b2c3d4e5f0a1b-00042');
    const child = flow.children![42];
    expect(child.queueName).toBe('predict');
    expect(child.opts).toMatchObject({ attempts: 5, backoff: { type: 'exponential', delay: 100 }, ignoreDependencyOnFailure: true });
    expect(child.data).toMatchObject({ kind: 'predict', runId: 'score-3f9c0a1b2c3d4e5f0a1b', stepIndex: 42, stepId: '00042', model: 'iris:3', digest: 'sha256:abc' });
  });

  it('can hold only some shards (retry)', () => {
    const p = plan(10);
    const flow = buildRunFlow(predict, p, p.shards, { attempts: 1, backoffMs: 0, stepIndexes: [3, 7] });
    expect(flow.children!.map((c) => c.data.stepId)).toEqual(['00003', '00007']);
    expect(flow.data.steps).toBe(10);
  });

  it('a sequence kind is a chain: the first step deepest, each failure fails the rest', () => {
    const p = plan(0);
    const steps = ['train', 'evaluate', 'register'].map((id, index) => ({ index, id, rows: null }));
    const flow = buildRunFlow(train, p, steps, { attempts: 2, backoffMs: 10 });
    expect(flow.children).toHaveLength(1);
    const top = flow.children![0];
    expect(top.queueName).toBe('train');
    expect(top.opts).toMatchObject({ jobId: 'score-3f9c0a1b2c3d4e5f0a1b-register', ignoreDependencyOnFailure: true });
    const mid = top.children![0];
    expect(mid.data.stepId).toBe('evaluate');
    expect(mid.opts).toMatchObject({ failParentOnFailure: true });
    expect(mid.children![0].data.stepId).toBe('train');
    expect(mid.children![0].children).toBeUndefined();
  });

  it('names round-trip and failure reasons parse back to codes', () => {
    const runId = 'a-b-c-0123456789abcdef0123';
    expect(parseStepJobId(stepJobId(runId, '00012'))).toEqual({ runId, stepId: '00012' });
    expect(parseStepJobId(stepJobId(runId, 'evaluate'))).toEqual({ runId, stepId: 'evaluate' });
    expect(() => stepJobId('bad:id', '00001')).toThrow(/invalid BullMQ job id/);
    // failure reasons are errors as JSON, read back into the same typed error (no "CODE: message" parsing)
    const back = errorFromText(errorToText(new OrtqError('ORTQ_INPUT_CORRUPT', 'file x.parquet: bad magic', { file: 'x.parquet' })));
    expect(back).toBeInstanceOf(OrtqError);
    expect(back).toMatchObject({ code: 'ORTQ_INPUT_CORRUPT', message: 'file x.parquet: bad magic', details: { file: 'x.parquet' }, retryable: false });
    expect(errorFromText('job stalled more than allowable limit')).toMatchObject({ code: 'ORTQ_INTERNAL', message: 'job stalled more than allowable limit' });
    expect(parseQueueList('predict, train')).toEqual(['predict', 'train']);
    expect(() => parseQueueList('predict,bogus')).toThrow(/unknown queue "bogus"/);
  });
});
