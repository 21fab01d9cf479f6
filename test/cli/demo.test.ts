import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'ortq-demo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// a fresh directory with the defaults: no repository or ledger location from the environment
const env = { ...process.env, ORTQ_LOG_LEVEL: 'warn' };
delete env.MODEL_REPO_PATH;
delete env.ORTQ_HOME;

function demo(...flags: string[]): { code: number | null; json: Record<string, unknown> } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/ortq.js'), 'demo', '--json', ...flags], { cwd: dir, encoding: 'utf8', env });
  return { code: r.status, json: r.status === 0 ? JSON.parse(r.stdout) : { stderr: r.stderr } };
}

describe('ortq demo (the README main command)', () => {
  // an empty directory outside the checkout, as an installed package is used: the job ships in the package
  it('creates the model and data, scores every row, and is a no-op the second time', () => {
    const first = demo();
    expect(first.code, JSON.stringify(first.json)).toBe(0);
    expect(first.json).toMatchObject({ status: 'completed', reused: false, rows: { read: 200000, written: 200000, skipped: 0 } });
    expect((first.json.model as { tag: string }).tag).toMatch(/^iris:/);
    expect(existsSync(join(dir, '.ortq/models/iris'))).toBe(true);
    expect(existsSync(join(dir, 'data/demo/iris'))).toBe(true);
    expect(existsSync(join(dir, 'data/demo/iris-shifted'))).toBe(false);
    // --drift adds the shifted copy (test/monitor/demo-drift.test.ts checks it drifts); the demo run itself is the same
    const second = demo('--drift');
    expect(second.json).toMatchObject({ runId: first.json.runId, reused: true });
    expect(readdirSync(join(dir, 'data/demo/iris-shifted')).filter((f) => f.endsWith('.parquet'))).toHaveLength(4);
  }, 120_000);
});
