import { describe, expect, it } from 'vitest';
import { buildPlan, computeRunId, planShards } from '../../src/predict/planner.js';
import { parseJob } from '../../src/predict/job-spec.js';
import type { PlannedInput } from '../../src/predict/types.js';

const job = parseJob({ name: 'j', model: 'm', input: { path: 'd' }, features: { x: ['a'] }, output: { path: 'o' } }, { baseDir: '/p' });
const input = (path: string, unitRows: number[] | null, sha = 'aa'): PlannedInput => ({
  path, format: unitRows ? 'parquet' : 'csv', size: 1, digest: sha,
  rows: unitRows ? unitRows.reduce((a, b) => a + b, 0) : null, units: unitRows ? unitRows.length : 1, unitRows,
});

describe('planner', () => {
  it('run id is stable, BullMQ-safe, and changes with model, input or spec', () => {
    const inputs = [input('/p/d/a.parquet', [10])];
    const id = computeRunId(job, 'sha256:1', inputs);
    expect(id).toBe(computeRunId(structuredClone(job), 'sha256:1', structuredClone(inputs)));
    expect(id).toMatch(/^j-[0-9a-f]{20}$/);
    expect(id).not.toContain(':');
    expect(computeRunId(job, 'sha256:2', inputs)).not.toBe(id);
    expect(computeRunId(job, 'sha256:1', [input('/p/d/a.parquet', [10], 'bb')])).not.toBe(id);
    expect(computeRunId({ ...job, batchSize: 5 }, 'sha256:1', inputs)).not.toBe(id);
  });

  it('groups units into shards of about shardRows, never across files', () => {
    const shards = planShards([input('/a', [4, 4, 4, 4, 1]), input('/b', null), input('/c', [20])], 8);
    expect(shards.map((s) => [s.id, s.pieces[0], s.rows])).toEqual([
      ['00000', { input: 0, unitStart: 0, unitEnd: 2 }, 8],
      ['00001', { input: 0, unitStart: 2, unitEnd: 4 }, 8],
      ['00002', { input: 0, unitStart: 4, unitEnd: 5 }, 1],
      ['00003', { input: 1, unitStart: 0, unitEnd: 1 }, null],
      ['00004', { input: 2, unitStart: 0, unitEnd: 1 }, 20],
    ]);
  });

  it('an empty file still gets a shard', () => {
    expect(planShards([input('/e', [])], 10)).toHaveLength(1);
  });

  it('builds a plan with run dir and total rows', () => {
    const plan = buildPlan({ job, model: { name: 'm', version: 'v', tag: 'm:v', requested: 'm', digest: 'sha256:1' }, inputs: [input('/p/d/a.parquet', [3, 4])], shardRows: 100 });
    expect(plan.runDir).toBe(`/p/o/run=${plan.runId}`);
    expect(plan.totalRows).toBe(7);
    expect(plan.shards).toHaveLength(1);
  });
});
