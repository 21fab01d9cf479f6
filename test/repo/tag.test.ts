import { describe, expect, it } from 'vitest';
import { generateVersion, parseTag } from '../../src/repo/tag.js';
import { isOrtqError } from '../../src/errors.js';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isOrtqError(err) ? err.code : 'not-ortq';
  }
  return undefined;
}

describe('parseTag', () => {
  it('reads the four tag forms', () => {
    expect(parseTag('iris')).toEqual({ kind: 'latest', name: 'iris' });
    expect(parseTag('iris:latest')).toEqual({ kind: 'latest', name: 'iris' });
    expect(parseTag('iris:v1.2')).toEqual({ kind: 'version', name: 'iris', version: 'v1.2' });
    expect(parseTag('iris@champion')).toEqual({ kind: 'alias', name: 'iris', alias: 'champion' });
  });

  it.each(['', '../x', 'A B', 'Iris', '.hidden', '-x', 'a/b', 'a\\b', 'iris:../v1', 'iris@', 'iris:', 'x'.repeat(64),
    'iris:v1@a', 'iris@latest', ':v1', 'iris:v 1', 'iris\0'])('refuses %j with ORTQ_INVALID_NAME', (tag) => {
    expect(code(() => parseTag(tag))).toBe('ORTQ_INVALID_NAME');
  });

  it('accepts 63 characters', () => {
    expect(parseTag('x'.repeat(63)).name).toHaveLength(63);
  });
});

describe('generateVersion', () => {
  it('is time-sortable and unique', () => {
    const a = generateVersion(new Date('2026-11-22T14:15:03.123Z'));
    expect(a).toMatch(/^20261122-141503-123-[0-9a-f]{6}$/);
    const b = generateVersion(new Date('2026-11-22T14:15:03.124Z'));
    expect(a < b).toBe(true);
    // 24 random bits per millisecond: 100 versions in one millisecond collide with odds of about 3 in 10,000
    // (1,000 did about 3 times in 100, which made this test flaky)
    const many = new Set(Array.from({ length: 100 }, () => generateVersion(new Date(0))));
    expect(many.size).toBe(100);
    expect(() => parseTag(`iris:${a}`)).not.toThrow();
  });
});
