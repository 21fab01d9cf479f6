import { randomBytes } from 'node:crypto';
import { closeSync, fsync, openSync, renameSync } from 'node:fs';
import { open, rename, rm, mkdir, type FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';
import { basename, dirname, join } from 'node:path';
import { OrtqError } from '../errors.js';

/** A temp name in the same directory as `target`, so that rename() stays atomic. */
export function tempPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

const fsyncFd = promisify(fsync);

/**
 * fsync a directory so that a rename inside it survives power loss. `inPlace`
 * (a commit on the path between shards): the directory is opened and closed
 * on this thread (a lookup of an inode in the page cache, microseconds) and
 * only the fsync, which waits for the disk, goes through libuv's pool: one
 * round trip between threads instead of three.
 */
export async function fsyncDir(dir: string, opts: { inPlace?: boolean } = {}): Promise<void> {
  if (opts.inPlace) {
    const fd = openSync(dir, 'r');
    try {
      await fsyncFd(fd);
    } finally {
      closeSync(fd);
    }
    return;
  }
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Writes `data` to a temp file beside `target`, fsyncs, renames over `target`, fsyncs the directory. */
export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  const tmp = tempPathFor(target);
  try {
    const fh = await open(tmp, 'wx');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await fsyncDir(dirname(target));
}

/** Serializes `value` as pretty JSON and writes it atomically. */
export async function writeJsonAtomic(target: string, value: unknown): Promise<void> {
  await writeFileAtomic(target, JSON.stringify(value, null, 2) + '\n');
}

/**
 * open(path, 'wx'), making its directory only when the open finds it missing: one call through libuv's
 * pool where the directory exists (a run's directory and its `_shards`, from a run's second shard on),
 * not three (mkdir -p of an existing directory is a mkdir that fails and a stat).
 */
export async function openNew(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await mkdir(dirname(path), { recursive: true });
    return open(path, 'wx');
  }
}

/**
 * Several files made durable under their names together, with as few fsync
 * waits as the guarantees allow. Each file is first written in full to a temp
 * name beside its target (`stage`, `stageData`); `commit()` then
 *  1. fsyncs every staged file's bytes at once,
 *  2. renames each into place, in the order they were staged,
 *  3. fsyncs their directories at once,
 * and returns only when all of it is on disk. So two waits for the disk
 * however many files, where writing them one by one (bytes, rename,
 * directory) costs two each. No file is renamed before every file's bytes are
 * durable: a file staged last (a step's receipt) can never survive a crash
 * without the bytes of the files staged before it. A crash between the
 * renames and the directory fsyncs can lose some of the names and keep others;
 * whoever trusts the last file must check that the others are there (the run
 * core does: src/runs/steps.ts).
 *
 * commit() sends only what waits for the disk through libuv's pool: the
 * fsyncs, and the close of each file's handle. The renames and the
 * directories' open and close are done in place: they touch only the page
 * cache, and a round trip through the pool (a thread woken, then this one)
 * cost more than each call; a queued shard pays one commit each.
 */
export class AtomicGroup {
  private readonly staged: Array<{ tmp: string; target: string; fh: FileHandle | null }> = [];
  private state: 'open' | 'committed' | 'aborted' = 'open';

  /** A file whose bytes are all written to `tmp` (beside `target`); `fh` is its open handle, closed by the group. */
  stage(tmp: string, target: string, fh: FileHandle): void {
    this.assertOpen();
    this.staged.push({ tmp, target, fh });
  }

  /**
   * Writes `data` to a temp file beside `target` (no fsync yet) and stages it; its directory is made if
   * missing. Through libuv's pool, not in place: a queued shard stages its receipt right after its step
   * process began the next shard, and creating the file in place (on the main thread) delayed that
   * shard's start by about 1 ms and made the queued run slower (bench q100, 3 alternated pairs: 0.97-1.27
   * s against 0.91-1.13 s).
   */
  async stageData(target: string, data: string | Uint8Array): Promise<void> {
    this.assertOpen();
    const tmp = tempPathFor(target);
    const fh = await openNew(tmp);
    // staged at once, so that abort() closes and removes it whatever happens next
    this.staged.push({ tmp, target, fh });
    await fh.writeFile(data);
  }

  async commit(): Promise<void> {
    this.assertOpen();
    this.state = 'committed';
    try {
      await Promise.all(this.staged.map(async (f) => {
        await f.fh!.sync();
        await f.fh!.close();
        f.fh = null;
      }));
      // in place: a rename changes names in the page cache and waits for no disk, so it does not need
      // a round trip through libuv's pool (two threads woken) per file
      for (const f of this.staged) renameSync(f.tmp, f.target);
    } catch (err) {
      await this.cleanUp();
      throw err;
    }
    await Promise.all([...new Set(this.staged.map((f) => dirname(f.target)))].map((d) => fsyncDir(d, { inPlace: true })));
  }

  /** Closes and removes every staged temp file; nothing is renamed. */
  async abort(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    await this.cleanUp();
  }

  private async cleanUp(): Promise<void> {
    await Promise.all(this.staged.map(async (f) => {
      await f.fh?.close().catch(() => undefined);
      f.fh = null;
      await rm(f.tmp, { force: true });
    }));
  }

  private assertOpen(): void {
    if (this.state !== 'open') throw new OrtqError('ORTQ_INTERNAL', `atomic group is already ${this.state}`);
  }
}
