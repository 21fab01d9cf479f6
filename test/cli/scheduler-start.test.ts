import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer } from '../helpers/redis-server.js';

const BIN = join(resolve(import.meta.dirname, '../..'), 'bin', 'ortq.js');
const JOB = 'kind: train\nname: j\nmodel: m\ndata: { train: { path: data/train.csv } }\n';

/**
 * `ortq scheduler` checks its whole schedules file before it arms anything:
 * a cron expression it cannot honour, or a job file that is not there, stops
 * it at start with ORTQ_CONFIG_INVALID naming the expression or the file,
 * not at the first tick. A reachable redis-server is given, so the refusal
 * is the config's and not a connection failure.
 */
describe('ortq scheduler refuses a bad schedules file at start (CLI process)', () => {
  let dir: string;
  let srv: RedisServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ortq-scheduler-start-'));
    srv = await RedisServer.start();
  });
  afterAll(async () => {
    await srv?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs `ortq scheduler --config schedules.yaml` in `cwd` (job paths in it are relative to the working directory); a scheduler that starts instead of refusing is stopped after 20 s. */
  function scheduler(cwd: string): Promise<{ status: number | null; stderr: string; seconds: number }> {
    const t0 = performance.now();
    const child = spawn(process.execPath, [BIN, 'scheduler', '--config', 'schedules.yaml'], {
      cwd, stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, REDIS_URL: srv.url, MODEL_REPO_PATH: join(dir, 'models'), ORTQ_HOME: join(dir, 'home'), ORTQ_LOG_FORMAT: 'json', ORTQ_LOG_LEVEL: 'warn' },
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const guard = setTimeout(() => child.kill('SIGTERM'), 20_000);
    return new Promise((done) => child.on('close', (status) => {
      clearTimeout(guard);
      done({ status, stderr, seconds: (performance.now() - t0) / 1000 });
    }));
  }

  const cases: Array<{ what: string; files: Record<string, string>; names: string[] }> = [
    {
      what: 'an unparseable cron expression under triggers: in schedules.yaml',
      files: { 'job.yaml': JOB, 'schedules.yaml': 'triggers:\n  - job: job.yaml\n    triggers: [ { cron: "61 * * * *" } ]\n' },
      names: ['61 * * * *'],
    },
    {
      what: 'an unparseable cron expression in a watched job file',
      files: { 'job.yaml': `${JOB}triggers: [ { cron: "0 3 * * funday" } ]\n`, 'schedules.yaml': 'triggers:\n  - job: job.yaml\n' },
      names: ['0 3 * * funday'],
    },
    {
      what: 'a job file that does not exist',
      files: { 'schedules.yaml': 'triggers:\n  - job: jobs/nowhere.yaml\n' },
      names: ['nowhere.yaml'],
    },
  ];

  for (const c of cases) {
    it(`refuses ${c.what}: ORTQ_CONFIG_INVALID naming it, exit 2, within seconds`, async () => {
      const sub = mkdtempSync(join(dir, 'case-'));
      for (const [name, text] of Object.entries(c.files)) writeFileSync(join(sub, name), text);
      const r = await scheduler(sub);
      expect(r.stderr).toContain('ORTQ_CONFIG_INVALID');
      for (const n of c.names) expect(r.stderr).toContain(n);
      expect(r.status).toBe(2);
      expect(r.seconds).toBeLessThan(15);
    });
  }
});
