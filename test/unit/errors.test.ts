import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERRORS, OrtqError, fromSerialized } from '../../src/errors.js';

describe('error registry', () => {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');

  it.each(Object.keys(ERRORS))('%s is documented in docs/errors.md', (code) => {
    expect(doc).toContain(`\`${code}\``);
  });

  it('codes follow ORTQ_UPPER_SNAKE and usage errors exit 2', () => {
    for (const [code, def] of Object.entries(ERRORS)) {
      expect(code).toMatch(/^ORTQ_[A-Z_]+$/);
      expect([1, 2]).toContain(def.exit);
    }
    expect(ERRORS.ORTQ_USAGE.exit).toBe(2);
  });

  it('round-trips through JSON', () => {
    const e = new OrtqError('ORTQ_INPUT_CORRUPT', 'bad file x.parquet', { file: 'x.parquet' });
    const back = fromSerialized(JSON.parse(JSON.stringify(e)));
    expect(back.code).toBe('ORTQ_INPUT_CORRUPT');
    expect(back.retryable).toBe(false);
    expect(back.details).toEqual({ file: 'x.parquet' });
  });
});

describe('errors as data', () => {
  it('code, message, details and cause survive JSON; only transient codes are retryable', async () => {
    const { serializeError, errorFromText, errorToText } = await import('../../src/errors.js');
    const inner = new OrtqError('ORTQ_INPUT_CORRUPT', 'bad magic', { file: 'a.parquet' });
    const outer = new OrtqError('ORTQ_OUTPUT_FAILED', 'write failed', { file: 'part-1' }, { cause: inner });
    const back = fromSerialized(JSON.parse(JSON.stringify(serializeError(outer))));
    expect(back).toMatchObject({ code: 'ORTQ_OUTPUT_FAILED', message: 'write failed', details: { file: 'part-1' }, retryable: true });
    expect((back.cause as OrtqError).code).toBe('ORTQ_INPUT_CORRUPT');
    expect((back.cause as OrtqError).details).toEqual({ file: 'a.parquet' });
    expect(errorFromText(errorToText(new Error('boom')))).toMatchObject({ code: 'ORTQ_INTERNAL', message: 'boom', retryable: false });
    expect(ERRORS.ORTQ_INTERNAL.retryable).toBe(false);
    expect(ERRORS.ORTQ_RUN_LOCKED.retryable).toBe(true);
    expect(ERRORS.ORTQ_RUN_DAMAGED.retryable).toBe(false);
  });
});
