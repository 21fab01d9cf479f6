import { mkdir, rm, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { OrtqError } from '../errors.js';

/** A lock held longer than this is taken to belong to a crashed process. */
const STALE_MS = 30_000;
const WAIT_MS = 60_000;

/**
 * Runs `fn` holding a cross-process lock: mkdir is atomic on every local
 * filesystem, so the process that creates `lockDir` owns it.
 */
export async function withDirLock<T>(lockDir: string, fn: () => Promise<T>): Promise<T> {
  const started = Date.now();
  let delay = 5;
  for (;;) {
    try {
      await mkdir(lockDir);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const st = await stat(lockDir).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > STALE_MS) {
        await rm(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() - started > WAIT_MS) {
        throw new OrtqError('ORTQ_INTERNAL', `timed out waiting for lock ${lockDir}; remove it if no ortq process is running`);
      }
      await sleep(delay + Math.random() * delay);
      delay = Math.min(delay * 2, 200);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lockDir, { recursive: true, force: true });
  }
}
