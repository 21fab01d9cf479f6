import { randomBytes } from 'node:crypto';
import { OrtqError } from '../errors.js';

/** Names, versions and aliases share one shape: safe as a single path segment on every OS. */
const NAME_RE = /^[a-z0-9][a-z0-9._-]*$/;
const MAX_LEN = 63;

export type TagKind = 'name' | 'version' | 'alias';

/** A parsed model reference. `version` is undefined for `name` and `name:latest`. */
export type ParsedTag =
  | { kind: 'latest'; name: string }
  | { kind: 'version'; name: string; version: string }
  | { kind: 'alias'; name: string; alias: string };

function problem(what: TagKind, value: string): string | undefined {
  if (value.length === 0) return `${what} is empty`;
  if (value.length > MAX_LEN) return `${what} "${value.slice(0, 20)}…" is longer than ${MAX_LEN} characters`;
  if (!NAME_RE.test(value)) return `${what} "${value}" must match [a-z0-9][a-z0-9._-]* (lowercase letters, digits, ".", "_", "-")`;
  return undefined;
}

/** True when `value` has the shape of a name, version or alias (directory listings skip anything else). */
export function isValidSegment(value: string): boolean {
  return problem('name', value) === undefined;
}

/** Checks a model name, version or alias before it is used as a path segment. */
export function assertValidSegment(what: TagKind, value: string): string {
  const p = problem(what, value);
  if (p) throw new OrtqError('ORTQ_INVALID_NAME', p, { [what]: value });
  if (what !== 'name' && value === 'latest') {
    throw new OrtqError('ORTQ_INVALID_NAME', `"latest" is reserved: it always means the newest version and cannot be used as a ${what}`);
  }
  return value;
}

/** Parses `name`, `name:version`, `name:latest` or `name@alias`; nothing touches the disk. */
export function parseTag(tag: string): ParsedTag {
  if (typeof tag !== 'string' || tag.length === 0) throw new OrtqError('ORTQ_INVALID_NAME', 'model tag is empty');
  const at = tag.indexOf('@');
  const colon = tag.indexOf(':');
  if (at >= 0 && colon >= 0) {
    throw new OrtqError('ORTQ_INVALID_NAME', `tag "${tag}" mixes ":version" and "@alias"; use one`, { tag });
  }
  if (at >= 0) {
    const name = assertValidSegment('name', tag.slice(0, at));
    return { kind: 'alias', name, alias: assertValidSegment('alias', tag.slice(at + 1)) };
  }
  if (colon >= 0) {
    const name = assertValidSegment('name', tag.slice(0, colon));
    const version = tag.slice(colon + 1);
    if (version === 'latest') return { kind: 'latest', name };
    return { kind: 'version', name, version: assertValidSegment('version', version) };
  }
  return { kind: 'latest', name: assertValidSegment('name', tag) };
}

/** Renders a parsed tag back to its canonical text. */
export function formatTag(t: ParsedTag): string {
  if (t.kind === 'version') return `${t.name}:${t.version}`;
  if (t.kind === 'alias') return `${t.name}@${t.alias}`;
  return `${t.name}:latest`;
}

/**
 * A fresh version: UTC time to the millisecond (so versions sort by creation)
 * and 24 random bits (so concurrent savers never collide), e.g. `20261122-141503-123-7f3a9c`.
 */
export function generateVersion(now: Date = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const day = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}`;
  const time = `${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  return `${day}-${time}-${p(now.getUTCMilliseconds(), 3)}-${randomBytes(3).toString('hex')}`;
}
