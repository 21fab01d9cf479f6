import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic } from '../fs/atomic.js';
import { withDirLock } from './lock.js';

/**
 * Versions held back from automatic promotion, per model name:
 * `<root>/<name>/.holds.json` (beside `.aliases.json`). An automatic rollback
 * puts the rolled-back version here, so a later automatic promotion never
 * moves the alias back to it; a person can still `ortq models alias` or
 * `approve` it.
 */
export interface Hold { version: string; reason: string; at: string; by: string }

async function read(file: string): Promise<Record<string, Hold>> {
  try {
    return (JSON.parse(await readFile(file, 'utf8')) as { holds?: Record<string, Hold> }).holds ?? {};
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
}

export async function readHolds(nameDir: string): Promise<Record<string, Hold>> {
  return read(join(nameDir, '.holds.json'));
}

export async function addHold(nameDir: string, hold: Hold): Promise<void> {
  const file = join(nameDir, '.holds.json');
  await withDirLock(join(nameDir, '.holds.lock'), async () => {
    const holds = await read(file);
    holds[hold.version] = hold;
    await writeJsonAtomic(file, { holds });
  });
}
