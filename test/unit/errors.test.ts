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
