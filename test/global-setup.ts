import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { leftoverProblems, snapshot } from './helpers/leftovers.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * Runs once, in vitest's main process, before any test file:
 * - brings dist/ up to date once: spawned CLIs (bin/ortq.js), BullMQ's
 *   sandboxed processors and worker threads run compiled JS; one build here
 *   means no test file rewrites dist/ while another one spawns from it.
 *   `tsc -b` with tsconfig.build.json's build info (dist/.tsbuildinfo)
 *   compiles only when a source file's content changed since dist/ was
 *   built (about 2 s when nothing did, instead of a full build's 50–75 s;
 *   `npm test` has just built in its build step); deleting dist/ deletes the
 *   build info too, so it never trusts outputs that are gone;
 * - gives the run a temp directory of its own (TMPDIR, read by os.tmpdir(),
 *   inherited by the test workers and every process they spawn, since they
 *   start after this), and at the end fails the run if anything is left in
 *   it, or if the project's own `.ortq/` was created or changed: tests clean
 *   up after themselves and keep run ledgers and caches in their temp dirs
 *   (issue 11 item 19; test/helpers/leftovers.ts).
 */
export default function setup(): () => void {
  try {
    execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-b', join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
  } catch {
    // type errors are reported above; tsc still emits, and `npm test` fails on them in its build step
  }
  const projectHome = join(root, '.ortq');
  const before = snapshot(projectHome);
  const runTmp = mkdtempSync(join(tmpdir(), 'ortq-test-run-'));
  // like /tmp: a test that runs a child as another user (uid 65534, test/io/fs-errors) must reach its files
  chmodSync(runTmp, 0o1777);
  const saved = { TMPDIR: process.env.TMPDIR, TMP: process.env.TMP, TEMP: process.env.TEMP };
  process.env.TMPDIR = process.env.TMP = process.env.TEMP = runTmp;

  return function teardown(): void {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    const problems = leftoverProblems(runTmp, projectHome, before);
    rmSync(runTmp, { recursive: true, force: true });
    if (problems.length === 0) return;
    // vitest prints an error thrown here ("error during close") but would still exit 0
    process.exitCode = 1;
    throw new Error(`the test run left files behind (issue 11 item 19):\n- ${problems.join('\n- ')}`);
  };
}
