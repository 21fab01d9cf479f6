import { describe, expect, it } from 'vitest';
import type { RunPlan } from '../../src/predict/types.js';
import { parseQueueList, parseShardJobId, shardJobId } from '../../src/queue/queues.js';
import { buildRunFlow, parseFailedReason } from '../../src/queue/run-flow.js';

function plan(shards: number): RunPlan {
  return {
    runId: 'score-3f9c0a1b2c3d4e5f',
    runDir: '/data/out/run=score-3f9c0a1b2c3d4e5f',
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
    const flow = buildRunFlow(plan(60), { attempts: 5, backoffMs: 100 });
    expect(flow.queueName).toBe('runs');
    expect(flow.opts?.jobId).toBe('score-3f9c0a1b2c3d4e5f');
    expect(flow.children).toHaveLength(60);
    const ids = flow.children!.map((c) => c.opts!.jobId!);
    expect(new Set(ids).size).toBe(60);
    for (const id of ids) expect(id).not.toContain(':');
    expect(ids[42]).toBe('score-3f9c0a1b2c3d4e5f-00042');
    const child = flow.children![42];
    expect(child.queueName).toBe('predict');
    expect(child.opts).toMatchObject({ attempts: 5, backoff: { type: 'exponential', delay: 100 }, ignoreDependencyOnFailure: true });
    expect(child.data).toMatchObject({ runId: 'score-3f9c0a1b2c3d4e5f', shardIndex: 42, shardId: '00042', model: 'iris:3', digest: 'sha256:abc' });
  });

  it('can hold only some shards (retry)', () => {
    const flow = buildRunFlow(plan(10), { attempts: 1, backoffMs: 0, shardIndexes: [3, 7] });
    expect(flow.children!.map((c) => c.data.shardId)).toEqual(['00003', '00007']);
    expect(flow.data.shards).toBe(10);
  });

  it('names round-trip and failure reasons parse back to codes', () => {
    expect(parseShardJobId(shardJobId('a-b-c', '00012'))).toEqual({ runId: 'a-b-c', shardId: '00012' });
    expect(() => shardJobId('bad:id', '00001')).toThrow(/invalid BullMQ job id/);
    expect(parseFailedReason('ORTQ_INPUT_CORRUPT: file x.parquet: bad magic')).toEqual({ code: 'ORTQ_INPUT_CORRUPT', message: 'file x.parquet: bad magic' });
    expect(parseFailedReason('job stalled more than allowable limit')).toEqual({ code: 'ORTQ_INTERNAL', message: 'job stalled more than allowable limit' });
    expect(parseQueueList('predict, train')).toEqual(['predict', 'train']);
    expect(() => parseQueueList('predict,bogus')).toThrow(/unknown queue "bogus"/);
  });
});
