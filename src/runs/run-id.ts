import { createHash } from 'node:crypto';
import { OrtqError } from '../errors.js';

/**
 * Run ids: `<job name>-<20 hex>`, the hex a sha256 over a canonical form of
 * everything that decides the run's results (the normalized spec, the model
 * digest, the input fingerprints). Same inputs → same id. No ':' in it, so it
 * is a valid BullMQ job id and a safe directory name.
 */

/** JSON with object keys sorted and undefined fields dropped: equal values give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function runIdFor(jobName: string, identity: unknown): string {
  const h = createHash('sha256').update(canonicalJson(identity)).digest('hex');
  return `${jobName}-${h.slice(0, 20)}`;
}

const RUN_ID = /^[a-z0-9][a-z0-9._-]{0,62}-[0-9a-f]{20}$/;

/** Checks a run id given by a user before it becomes part of a path or a Redis key. */
export function assertRunId(runId: string): string {
  if (!RUN_ID.test(runId)) throw new OrtqError('ORTQ_INVALID_NAME', `"${runId}" is not a run id (expected <job>-<20 hex digits>, see "ortq runs list")`);
  return runId;
}
