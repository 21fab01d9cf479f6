import { open, stat } from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { createDataHash, DATA_DIGEST, type DigestAlgorithm } from '../io/digest.js';

/** What identifies one version of a file: device, inode, size, and its mtime and ctime to the nanosecond. */
function identityOf(st: BigIntStats): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
}

/** files remembered at most: a worker serving many runs must not grow without bound */
const MAX_FILES = 20_000;
/** read size while hashing: each chunk's hash runs on the calling thread, so keep it short */
const CHUNK = 256 * 1024;
/**
 * a file is read back only once its ctime is this old: the kernel stamps files
 * from a clock that ticks every 1–10 ms (a jiffy), so a write in the same tick
 * as the read would leave the identity as it was; a later write cannot
 */
const SETTLE_MS = 12;

/**
 * Files this process has read back and hashed, each with the identity of the
 * version it read (device, inode, size, mtime and ctime in nanoseconds). A
 * queue worker reads back each part as soon as its shard is acknowledged,
 * while the next shards run, instead of all of them in the run's finalize
 * (src/queue/worker.ts): at finalize, a file whose identity is unchanged is
 * the file that was read, so its digest stands (`digestOf`) and it is not read
 * again. Any write to it, a rename of it, a replacement by another file
 * changes that identity (ctime is set by the kernel and cannot be set back
 * by a user), and the file is read and hashed again. Nothing is remembered
 * of a file whose times are whole seconds (a file system with coarse
 * timestamps, where a write could leave them as they were).
 */
export class VerifiedFiles {
  private readonly files = new Map<string, Promise<{ id: string; digest: string } | null>>();
  /** one file read at a time, behind whatever is being read: this work fills idle time, it does not race the shards */
  private tail: Promise<unknown> = Promise.resolve();

  /** Reads and hashes `file` in the background (after the files before it); failures are forgotten (it will be read at finalize). */
  add(file: string, algorithm: DigestAlgorithm = DATA_DIGEST): void {
    const p = this.tail.then(() => hashWithIdentity(file, algorithm)).catch(() => null);
    this.tail = p;
    this.files.delete(file);
    this.files.set(file, p);
    if (this.files.size > MAX_FILES) this.files.delete(this.files.keys().next().value!);
  }

  /** The digest (`<algorithm>:<hex>`) read from `file` when `st` (its stat now, bigint) is the version that was read; null otherwise. */
  async digestOf(file: string, st: BigIntStats, algorithm: DigestAlgorithm = DATA_DIGEST): Promise<string | null> {
    const known = await this.files.get(file);
    return known && known.id === identityOf(st) && known.digest.startsWith(`${algorithm}:`) ? known.digest : null;
  }

  /** Forgets every file under `dir` (a finalized run's directory). */
  forgetUnder(dir: string): void {
    const prefix = dir.endsWith('/') ? dir : `${dir}/`;
    for (const f of [...this.files.keys()]) if (f.startsWith(prefix)) this.files.delete(f);
  }

  get size(): number {
    return this.files.size;
  }
}

/**
 * The digest of a file with the identity of the version read: its stat before and
 * after the read must agree (nothing wrote to it meanwhile), and the path must
 * still name it; null otherwise.
 */
async function hashWithIdentity(file: string, algorithm: DigestAlgorithm): Promise<{ id: string; digest: string } | null> {
  const fh = await open(file, 'r');
  try {
    let st = await fh.stat({ bigint: true });
    if (st.ctimeNs % 1_000_000_000n === 0n && st.mtimeNs % 1_000_000_000n === 0n) return null;
    const age = Date.now() - Number(st.ctimeNs / 1_000_000n);
    if (age < SETTLE_MS) {
      await sleep(SETTLE_MS - Math.max(0, age));
      st = await fh.stat({ bigint: true });
    }
    const before = identityOf(st);
    const h = createDataHash(algorithm);
    const buf = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, CHUNK, null);
      if (bytesRead === 0) break;
      h.update(buf.subarray(0, bytesRead));
    }
    const after = identityOf(await fh.stat({ bigint: true }));
    const named = identityOf(await stat(file, { bigint: true }));
    return before === after && after === named ? { id: after, digest: h.digest() } : null;
  } finally {
    await fh.close();
  }
}
