import { lstat, realpath } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { OrtqError } from '../errors.js';
import type { OnnxNs } from './proto.js';

const EXTERNAL = 1; // TensorProto.DataLocation.EXTERNAL

function tensorsOf(graph: OnnxNs.IGraphProto | null | undefined, out: OnnxNs.ITensorProto[]): void {
  if (!graph) return;
  out.push(...(graph.initializer ?? []));
  for (const s of graph.sparseInitializer ?? []) {
    if (s.values) out.push(s.values);
    if (s.indices) out.push(s.indices);
  }
  for (const n of graph.node ?? []) {
    for (const a of n.attribute ?? []) {
      if (a.t) out.push(a.t);
      out.push(...(a.tensors ?? []));
      tensorsOf(a.g, out);
      for (const g of a.graphs ?? []) tensorsOf(g, out);
    }
  }
}

/** The distinct `location` values of every tensor stored as external data (subgraphs included). */
export function externalDataLocations(model: OnnxNs.IModelProto): string[] {
  const tensors: OnnxNs.ITensorProto[] = [];
  tensorsOf(model.graph, tensors);
  for (const f of model.functions ?? []) for (const n of f.node ?? []) for (const a of n.attribute ?? []) if (a.t) tensors.push(a.t);
  const locations = new Set<string>();
  for (const t of tensors) {
    const hasExternal = (t.externalData ?? []).length > 0;
    if (t.dataLocation !== EXTERNAL && !hasExternal) continue;
    const loc = (t.externalData ?? []).find((e) => e.key === 'location')?.value;
    if (!loc) throw new OrtqError('ORTQ_MODEL_INVALID', `tensor "${t.name}" is stored as external data but has no location`);
    locations.add(loc);
  }
  return [...locations].sort();
}

/**
 * Refuses a location that could read outside the model's folder: absolute
 * paths, drive letters, `..` segments, backslashes (CVE-2022-25882 family).
 */
export function assertSafeLocation(location: string): void {
  const bad =
    location.length === 0 || isAbsolute(location) || location.startsWith('/') || location.includes('\\') ||
    /^[a-zA-Z]:/.test(location) || location.includes('\0') ||
    location.split('/').some((seg) => seg === '..' || seg === '.' || seg === '');
  if (bad) {
    throw new OrtqError('ORTQ_MODEL_INVALID', `external data location "${location}" points outside the model's folder`, { location });
  }
}

/** Checks a location against the folder on disk: it must exist and resolve (symlinks followed) inside `dir`. */
export async function assertLocationInside(dir: string, location: string): Promise<string> {
  assertSafeLocation(location);
  const path = join(dir, location);
  try {
    await lstat(path);
  } catch {
    throw new OrtqError('ORTQ_MODEL_INVALID', `external data file "${location}" is missing next to the model`, { location });
  }
  const real = await realpath(path);
  const root = await realpath(resolve(dir));
  const rel = relative(root, real);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel) || rel.split(sep).includes('..')) {
    throw new OrtqError('ORTQ_MODEL_INVALID', `external data location "${location}" is a link that escapes the model's folder`, { location });
  }
  return real;
}
