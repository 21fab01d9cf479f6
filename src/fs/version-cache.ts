import { stat } from 'node:fs/promises';

/**
 * A per-process cache of what is derived from one version of a file (its
 * path, size, mtime and inode): the CSV layout and the Parquet footer layout
 * (src/io/csv.ts, src/io/inspect.ts), each read once for the planner and every
 * shard of the file. The oldest of `kept` entries goes first; a failed
 * derivation is not kept.
 */
export function fileVersionCache<T>(kept: number, derive: (path: string) => Promise<T>): (path: string) => Promise<T> {
  const cache = new Map<string, Promise<T>>();
  return async (path) => {
    const st = await stat(path);
    const key = `${st.size}:${st.mtimeMs}:${st.ino}:${path}`;
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
