import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rm, stat, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { OrtqError } from '../errors.js';
import { runLayout } from './layout.js';

/** Who holds a run's lock, as recorded in the lock file. */
export interface LockHolder {
  pid: number;
  host: string;
  token: string;
  acquiredAt: string;
}

export interface LockOptions {
  /** how long to wait for a live holder before ORTQ_RUN_LOCKED @defaultValue 0 (fail at once) */
  waitMs?: number;
  /**
   * a lock whose heartbeat is older than this is stale and taken over; on
   * the holder's own host a dead pid is stale at once @defaultValue 30000
   */
  staleMs?: number;
}

// the holder touches its lock file this often, so staleMs must be a few times larger
const HEARTBEAT_MS = 5000;
// a takeover guard left by a process killed in the middle of a takeover (milliseconds of work)
const GUARD_STALE_MS = 10_000;
const POLL_MS = 150;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readHolder(file: string): Promise<{ holder: LockHolder | null; mtimeMs: number } | null> {
  try {
    const [text, st] = await Promise.all([readFile(file, 'utf8'), stat(file)]);
    let holder: LockHolder | null = null;
    try {
      holder = JSON.parse(text) as LockHolder;
    } catch {
      // written by a process killed between create and write: judged by age alone
    }
    return { holder, mtimeMs: st.mtimeMs };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * A per-run lock that works across processes and across hosts sharing the
 * output directory: an O_EXCL lock file beside the run directory holding the
 * holder's pid, host and a token, with its mtime as a heartbeat. A lock whose
 * holder died (same host: pid gone; any host: no heartbeat for `staleMs`) is
 * taken over; the takeover is serialized by a second O_EXCL file so that two
 * takers never both win, and a lock is removed only if it still holds the
 * token that was judged stale.
 */
/** time a new lock file may take to show its holder (it is created, then written) */
const HOLDER_WRITE_MS = 2000;

export class RunLock {
  private timer: NodeJS.Timeout | null = null;
  private released = false;

  private constructor(readonly file: string, readonly holder: LockHolder) {}

  static async acquire(outputRoot: string, runId: string, opts: LockOptions = {}): Promise<RunLock> {
    const file = runLayout.lockFile(outputRoot, runId);
    const staleMs = opts.staleMs ?? 30_000;
    const deadline = Date.now() + (opts.waitMs ?? 0);
    await mkdir(outputRoot, { recursive: true });
    const me: LockHolder = { pid: process.pid, host: hostname(), token: randomUUID(), acquiredAt: new Date().toISOString() };
    for (;;) {
      if (await tryCreate(file, me)) {
        const lock = new RunLock(file, me);
        lock.startHeartbeat();
        return lock;
      }
      const seen = await readHolder(file);
      if (!seen) continue; // released in between: try again at once
      const { holder, mtimeMs } = seen;
      const deadHere = holder !== null && holder.host === me.host && !pidAlive(holder.pid);
      const silent = Date.now() - mtimeMs > staleMs;
      if (deadHere || silent) {
        await takeOver(file, holder?.token ?? null, mtimeMs);
        continue;
      }
      // a lock file created a moment ago may not hold its holder yet (open, then write):
      // wait for it rather than report a holder we cannot name
      if (!holder && Date.now() - mtimeMs < HOLDER_WRITE_MS) {
        await sleep(POLL_MS);
        continue;
      }
      if (Date.now() >= deadline) {
        const where = holder ? `process ${holder.pid} on ${holder.host} since ${holder.acquiredAt}` : 'another process';
        throw new OrtqError('ORTQ_RUN_LOCKED', `run ${runId} is being run by ${where}; wait for it to finish (or stop that process)`, {
          runId, lockFile: file, ...(holder ? { pid: holder.pid, host: holder.host, since: holder.acquiredAt } : {}),
        });
      }
      await sleep(POLL_MS);
    }
  }

  private startHeartbeat(): void {
    this.timer = setInterval(() => {
      const now = new Date();
      utimes(this.file, now, now).catch(() => undefined);
    }, HEARTBEAT_MS);
    this.timer.unref();
  }

  /** Removes the lock file if it is still ours. Idempotent. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    if (this.timer) clearInterval(this.timer);
    const seen = await readHolder(this.file).catch(() => null);
    if (seen?.holder?.token === this.holder.token) await rm(this.file, { force: true });
  }
}

async function tryCreate(file: string, me: LockHolder): Promise<boolean> {
  let fh;
  try {
    fh = await open(file, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new OrtqError('ORTQ_OUTPUT_FAILED', `cannot create run lock ${file}: ${(err as Error).message}`, { file }, { cause: err });
  }
  try {
    await fh.writeFile(JSON.stringify(me));
    await fh.sync();
  } finally {
    await fh.close();
  }
  return true;
}

/** Removes a stale lock, unless someone else replaced it meanwhile. */
async function takeOver(file: string, staleToken: string | null, staleMtime: number): Promise<void> {
  const guard = `${file}.takeover`;
  let fh;
  try {
    fh = await open(guard, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const st = await stat(guard).catch(() => null);
    if (st && Date.now() - st.mtimeMs > GUARD_STALE_MS) await rm(guard, { force: true });
    await sleep(POLL_MS);
    return;
  }
  try {
    const now = await readHolder(file);
    if (now && (now.holder?.token ?? null) === staleToken && now.mtimeMs === staleMtime) await rm(file, { force: true });
  } finally {
    await fh.close();
    await rm(guard, { force: true });
  }
}
