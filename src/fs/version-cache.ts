import { stat } from 'node:fs/promises';
import { fileIdentity } from './identity.js';

/** a file whose last change (ctime) is younger than this is derived again on every call, as the Arrow footer cache does */
const SETTLED_MS = 1000;

/**
 * A per-process cache of what is derived from one version of a file (its
 * path and identity: device, inode, size, mtime and ctime to the nanosecond,
 * src/fs/identity.ts): the CSV layout and the Parquet footer layout
 * (src/io/csv.ts, src/io/inspect.ts), each read once for the planner and every
 * shard of the file. A file rewritten in place, even to the same size within
 * the same millisecond, has a new ctime and is derived again. On a file system
 * whose times are whole seconds nothing is kept, nor for a file changed in
 * the last second (a write in the same clock tick keeps its identity). The oldest of `kept` entries
 * goes first; a failed derivation is not kept.
 */
export function fileVersionCache<T>(kept: number, derive: (path: string) => Promise<T>): (path: string) => Promise<T> {
  const cache = new Map<string, Promise<T>>();
  return async (path) => {
    const st = await stat(path, { bigint: true });
    const id = fileIdentity(st);
    // a change in the same clock tick as the last one keeps the identity: only a settled file is kept
    if (id === null || Date.now() - Number(st.ctimeNs / 1_000_000n) < SETTLED_MS) return derive(path);
    const key = `${id}:${path}`;
    let p = cache.get(key);
    if (!p) {
      p = derive(path);
      p.catch(() => cache.delete(key));
      if (cache.size >= kept) cache.delete(cache.keys().next().value!);
      cache.set(key, p);
    }
    return p;
  };
}
