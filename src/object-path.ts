import { OrtqError } from './errors.js';

/** Path segments that would reach an object's prototype instead of a field of its own. */
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Splits a dotted field path (`output.path`) and refuses `__proto__`,
 * `constructor` and `prototype` segments with ORTQ_JOB_INVALID naming the
 * segment, so that no override can write to Object.prototype. `source` says
 * where the path came from, e.g. `--set "a.b=1"`.
 */
export function safeFieldPath(path: string, source: string): string[] {
  const segments = path.split('.');
  const bad = segments.find((s) => FORBIDDEN.has(s));
  if (bad !== undefined) {
    throw new OrtqError('ORTQ_JOB_INVALID', `${source}: the path segment "${bad}" is not allowed (it would reach the object prototype, not a job field)`, { segment: bad, path });
  }
  return segments;
}
