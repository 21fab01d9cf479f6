import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Builds dist/ once before any test file runs: spawned CLIs (bin/ortq.js),
 * BullMQ's sandboxed processors and worker threads run compiled JS. One build
 * here means no test file rewrites dist/ while another one spawns from it.
 */
export default function setup(): void {
  const root = fileURLToPath(new URL('..', import.meta.url));
  try {
    execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
  } catch {
    // type errors are reported above; tsc still emits, and `npm test` fails on them in its build step
  }
}
