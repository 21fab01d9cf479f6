import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';

/**
 * The shared interop data (golden, fuzzed and corrupt Arrow/Parquet files)
 * lives beside the repository as ../shared/interop. ORTQ_INTEROP_DIR
 * overrides. Missing data is an error, not a skip: CI must read these files.
 */
function findInterop(): string {
  const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
  const candidates = [process.env.ORTQ_INTEROP_DIR, resolve(root, '../shared/interop'), '/work/shared/interop'].filter(Boolean) as string[];
  const found = candidates.find((d) => existsSync(resolve(d, 'README.md')));
  if (!found) throw new Error(`interop data not found in ${candidates.join(', ')}; set ORTQ_INTEROP_DIR`);
  return found;
}

export const INTEROP = findInterop();
