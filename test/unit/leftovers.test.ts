import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { leftoverProblems, snapshot } from '../helpers/leftovers.js';

// issue 11 item 19: the check the global setup runs when the suite ends (test/global-setup.ts)
const made: string[] = [];
afterEach(() => { for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true }); });
function scratch(): { runTmp: string; home: string } {
  const d = mkdtempSync(join(tmpdir(), 'ortq-leftovers-'));
  made.push(d);
  const runTmp = join(d, 'tmp');
  mkdirSync(runTmp);
  return { runTmp, home: join(d, 'project', '.ortq') };
}

describe('leftover check of a test run', () => {
  it('the suite runs in a temp directory of its own (TMPDIR set by the global setup)', () => {
    expect(process.env.TMPDIR).toMatch(/ortq-test-run-/);
    expect(tmpdir()).toBe(process.env.TMPDIR);
  });

  it('is clean when nothing is left, ignoring onnxruntime\'s telemetry files', () => {
    const { runTmp, home } = scratch();
    writeFileSync(join(runTmp, '.ses'), 'x');
    writeFileSync(join(runTmp, 'mat-debug-123.log'), '');
    expect(leftoverProblems(runTmp, home, snapshot(home))).toEqual([]);
  });

  it('names what a test left in the temp directory', () => {
    const { runTmp, home } = scratch();
    mkdirSync(join(runTmp, 'ortq-run-abc'));
    expect(leftoverProblems(runTmp, home, null)).toEqual(['tests left 1 entry in the temp directory: ortq-run-abc']);
  });

  it('notices a project .ortq/ that was created, or changed', () => {
    const { runTmp, home } = scratch();
    const before = snapshot(home);
    expect(before).toBeNull();
    mkdirSync(join(home, 'runs'), { recursive: true });
    writeFileSync(join(home, 'runs', 'r1.json'), '{}');
    expect(leftoverProblems(runTmp, home, before)).toEqual([expect.stringMatching(/did not exist before the run\): runs\/, runs\/r1\.json 2 /)]);
    const existing = snapshot(home);
    expect(leftoverProblems(runTmp, home, existing)).toEqual([]);
    writeFileSync(join(home, 'runs', 'r2.json'), '{}');
    expect(leftoverProblems(runTmp, home, existing)).toEqual([expect.stringMatching(/\(it changed\): runs\/r2\.json/)]);
  });
});
