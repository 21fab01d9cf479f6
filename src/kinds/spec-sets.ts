import { parse as parseYaml } from 'yaml';
import { OrtqError } from '../errors.js';
import { safeFieldPath } from '../object-path.js';

/** Applies `--set a.b.c=value` overrides to a raw spec; values are parsed as YAML scalars (numbers, booleans, lists). */
export function applySets(raw: Record<string, unknown>, sets: string[]): Record<string, unknown> {
  const out = structuredClone(raw);
  // every path is checked before anything is set: no segment may reach Object.prototype
  const paths = sets.map((set) => {
    const eq = set.indexOf('=');
    if (eq <= 0) throw new OrtqError('ORTQ_USAGE', `--set expects path.to.field=value, got "${set}"`);
    return safeFieldPath(set.slice(0, eq), `--set "${set}"`);
  });
  for (const [i, set] of sets.entries()) {
    const path = paths[i];
    const text = set.slice(set.indexOf('=') + 1);
    let value: unknown;
    try {
      value = parseYaml(text);
    } catch {
      value = text;
    }
    let cur: Record<string, unknown> = out;
    for (const key of path.slice(0, -1)) {
      if (typeof cur[key] !== 'object' || cur[key] === null || Array.isArray(cur[key])) cur[key] = {};
      cur = cur[key] as Record<string, unknown>;
    }
    cur[path[path.length - 1]] = value ?? '';
  }
  return out;
}
