import { open, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { OrtqError } from '../../errors.js';

const LOCK = '.lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * One process runs a train run at a time on this machine: an O_EXCL lock
 * file holding pid and host. A lock whose process on this host is gone (it
 * was killed) is taken over.
 */
export async function acquireRunLock(runDir: string): Promise<() => Promise<void>> {
  const file = join(runDir, LOCK);
  for (let tries = 0; tries < 3; tries++) {
    try {
      const fh = await open(file, 'wx');
      await fh.writeFile(`${process.pid} ${hostname()}`);
      await fh.close();
      return () => rm(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const [pid, host] = (await readFile(file, 'utf8').catch(() => '')).split(' ');
      if (host === hostname() && Number(pid) > 0 && !alive(Number(pid))) {
        await rm(file, { force: true });
        continue;
      }
      if (!pid) continue;
      throw new OrtqError('ORTQ_RUN_IN_PROGRESS', `train run in ${runDir} is being run by process ${pid} on ${host}`, { runDir, pid: Number(pid), host });
    }
  }
  throw new OrtqError('ORTQ_RUN_IN_PROGRESS', `cannot take the lock of ${runDir}`, { runDir });
}
