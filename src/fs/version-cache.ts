import type { BigIntStats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { fileIdentity } from './identity.js';

/** a file whose last change (ctime) is younger than this is derived again on every call */
const SETTLED_MS = 1000;

export interface FileVersionCacheOptions<T> {
  /** whether a derived value is kept (default: always); one that is not is derived again at the next call */
  keep?: (value: T) => boolean;
}

/**
 * A per-process cache of what is derived from one version of a file (its
 * path and identity: device, inode, size, mtime and ctime to the nanosecond,
 * src/fs/identity.ts): the CSV layout, the Parquet footer layout and the
 * checked Arrow IPC footer (src/io/csv.ts, src/io/inspect.ts,
 * src/io/ipc-file.ts), each read once for the planner and every shard of the
 * file. A file rewritten in place, even to the same size within the same
 * millisecond, has a new ctime and is derived again. On a file system whose
 * times are whole seconds nothing is kept, nor for a file changed in the
 * last second (a write in the same clock tick keeps its identity). The oldest
 * of `kept` entries goes first; a failed derivation is not kept.
 *
 * This form takes the file's stat from the caller, with what `derive` reads
 * from (`source`): a caller holding the file open passes its handle's stat
 * and the handle, so that what is derived, or taken as kept, is the version
 * it opened, not whatever the path names a moment later.
 */
export function fileVersionCacheAt<T, S>(
  kept: number,
  derive: (path: string, source: S) => Promise<T>,
  opts: FileVersionCacheOptions<T> = {},
): (path: string, st: BigIntStats, source: S) => Promise<T> {
  const cache = new Map<string, Promise<T>>();
  const drop = (key: string, p: Promise<T>): void => {
    if (cache.get(key) === p) cache.delete(key);
  };
  return (path, st, source) => {
    const id = fileIdentity(st);
    // a change in the same clock tick as the last one keeps the identity: only a settled file is kept
    if (id === null || Date.now() - Number(st.ctimeNs / 1_000_000n) < SETTLED_MS) return derive(path, source);
    const key = `${id}:${path}`;
    let p = cache.get(key);
    if (!p) {
      const derived = derive(path, source);
      p = derived;
      derived.then((v) => { if (opts.keep && !opts.keep(v)) drop(key, derived); }, () => drop(key, derived));
      if (cache.size >= kept) cache.delete(cache.keys().next().value!);
      cache.set(key, derived);
    }
    return p;
  };
}

/** fileVersionCacheAt for a caller that names the file by its path alone: its stat is taken here. */
export function fileVersionCache<T>(kept: number, derive: (path: string) => Promise<T>, opts: FileVersionCacheOptions<T> = {}): (path: string) => Promise<T> {
  const at = fileVersionCacheAt<T, undefined>(kept, (path) => derive(path), opts);
  return async (path) => at(path, await stat(path, { bigint: true }), undefined);
}
