import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisTargetNote } from '../../src/cli/redis-target.js';
import { freePort } from '../helpers/redis-server.js';

/**
 * Every CLI place that prints a Redis target, with passwords full of URL
 * metacharacters (issue 11, item 3): nothing of the password is printed,
 * raw or half-encoded URLs are refused naming the host, not the URL.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin', 'ortq.js');
// distinctive fragments between the metacharacters: none may appear in any output
const FRAGMENTS = ['Qx7k', 'Vw9m', 'Zr4t', 'Jy2p'];
const PASSWORD = 'Qx7k@Vw9m:Zr4t/Jy2p#';
let dir: string;
let port: number;

interface Result { code: number | null; stdout: string; stderr: string }

/** Runs the CLI; with `until`, kills it once stderr matches (services run until a signal). */
function ortq(args: string[], redisUrl: string, until?: RegExp): Promise<Result> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: dir,
      env: { ...process.env, REDIS_URL: redisUrl, ORTQ_HOME: join(dir, 'home'), ORTQ_LOG_FORMAT: 'json', ORTQ_LOG_LEVEL: 'info' },
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
      if (until?.test(stderr)) child.kill('SIGKILL');
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

function expectNoPassword(r: Result): void {
  for (const f of FRAGMENTS) {
    expect(r.stdout + r.stderr, `password fragment ${f} printed`).not.toContain(f);
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ortq-cli-redis-'));
  port = await freePort(); // nothing listens there
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'job.yaml'), JSON.stringify({
    kind: 'predict', name: 'j', model: 'm@champion', input: { path: 'data' }, features: { input: ['a'] }, output: { path: 'out' },
  }));
  writeFileSync(join(dir, 'schedules.yaml'), 'schedules:\n  - name: s\n    cron: "0 2 * * *"\n    job: job.yaml\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CLIENT_COMMANDS = [['status'], ['enqueue', 'job.yaml'], ['runs', 'retry', 'j-0123'], ['runs', 'cancel', 'j-0123'], ['dashboard', '--port', '0']];

describe('Redis targets printed by the CLI', () => {
  it('a raw or half-encoded password is refused with ORTQ_CONFIG_INVALID naming the host, never echoed', async () => {
    const urls = [`redis://:${PASSWORD}@127.0.0.1:${port}/2`, `redis://:${PASSWORD.replace(/@/g, '%40')}@127.0.0.1:${port}/2`];
    const cases = urls.flatMap((url) => [...CLIENT_COMMANDS, ['worker'], ['scheduler', '--config', 'schedules.yaml']].map((args) => [args, url] as const));
    const results: Result[] = [];
    // a few at a time: each is a node process with its own startup on a small machine
    for (let i = 0; i < cases.length; i += 4) results.push(...await Promise.all(cases.slice(i, i + 4).map(([args, url]) => ortq(args, url))));
    for (const r of results) {
      expect(r.code, r.stderr).not.toBe(0);
      expect(r.stderr).toMatch(/ORTQ_CONFIG_INVALID: REDIS_URL .*percent-encode/);
      expect(r.stderr).toContain(`host 127.0.0.1:${port}`);
      expectNoPassword(r);
    }
  }, 300_000);

  it('an encoded password: clients fail with the masked target; worker and scheduler log it at start', async () => {
    const url = `redis://:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}/2`;
    const target = `redis://127.0.0.1:${port}/2`;
    const clients = await Promise.all(CLIENT_COMMANDS.map((args) => ortq(args, url)));
    for (const r of clients) {
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain(`ORTQ_REDIS_UNAVAILABLE: cannot reach Redis at ${target}`);
      expectNoPassword(r);
    }
    const services = await Promise.all([
      ortq(['worker'], url, /using Redis at/),
      ortq(['scheduler', '--config', 'schedules.yaml'], url, /using Redis at/),
    ]);
    for (const r of services) {
      expect(r.stderr).toContain(`using Redis at ${target}`);
      expectNoPassword(r);
    }
  }, 180_000);

  it('the localhost default is announced, not silent', () => {
    expect(redisTargetNote({ redis: { url: 'redis://127.0.0.1:6379', prefix: 'ortq' } }).message)
      .toBe('REDIS_URL is not set: using the default redis://127.0.0.1:6379/0 (set REDIS_URL or redis.url in the config to change it)');
    expect(redisTargetNote({ redis: { url: 'redis://:pw@cache:7000', prefix: 'ortq' } })).toEqual({ redis: 'redis://cache:7000/0', message: 'using Redis at redis://cache:7000/0' });
  });
});
