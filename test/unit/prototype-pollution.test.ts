import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isOrtqError } from '../../src/errors.js';
import { applySets, loadJobFile } from '../../src/predict/job-spec.js';
import { parseSchedules } from '../../src/queue/scheduler/schedules.js';

/** Issue 11, item 10: no path-setting input may write to Object.prototype. */

const JOB = { kind: 'predict', name: 'j', model: 'm@champion', input: { path: 'data' }, features: { input: ['a'] }, output: { path: 'out' } };
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ortq-proto-'));
  writeFileSync(join(dir, 'job.yaml'), JSON.stringify(JOB));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  // a failing test must not leave the prototype polluted for the others
  delete (Object.prototype as Record<string, unknown>).polluted;
});

function codeAndMessage(fn: () => unknown): { code?: string; message: string } {
  try {
    fn();
  } catch (err) {
    return { code: (err as { code?: string }).code, message: (err as Error).message };
  }
  return { message: '(no error)' };
}

describe('prototype pollution', () => {
  it.each(['__proto__.polluted=1', 'constructor.prototype.polluted=1', 'output.__proto__.polluted=1', 'output.constructor=1', 'prototype=1'])(
    '--set %s is refused with ORTQ_JOB_INVALID naming the segment, before anything is set',
    (set) => {
      const e = codeAndMessage(() => applySets(structuredClone(JOB), ['batchSize=7', set]));
      expect(e.code).toBe('ORTQ_JOB_INVALID');
      const segment = set.split('=')[0].split('.').find((s) => ['__proto__', 'constructor', 'prototype'].includes(s));
      expect(e.message).toContain(`path segment "${segment}"`);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    },
  );

  it('a job file loaded with such a --set fails the same way and strict validation is untouched', async () => {
    const err = await loadJobFile(join(dir, 'job.yaml'), ['__proto__.polluted=1']).catch((e: unknown) => e);
    expect(isOrtqError(err, 'ORTQ_JOB_INVALID')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // a normal job still validates (before the fix, every object reported an unknown key "polluted")
    await expect(loadJobFile(join(dir, 'job.yaml'), ['batchSize=8'])).resolves.toMatchObject({ batchSize: 8 });
  });

  it("the scheduler's set: is refused when the schedules file loads", () => {
    const raw = { schedules: [{ name: 's', cron: '0 2 * * *', job: 'job.yaml', set: { '__proto__.polluted': 1 } }] };
    const e = codeAndMessage(() => parseSchedules(raw, dir, 'schedules.yaml'));
    expect(e.code).toBe('ORTQ_JOB_INVALID');
    expect(e.message).toContain('schedules.0.set "__proto__.polluted"');
    expect(e.message).toContain('path segment "__proto__"');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
