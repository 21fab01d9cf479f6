import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';

/** A free TCP port on 127.0.0.1, chosen by the OS. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

// servers still running when the test process exits (a crash, a timeout that
// skipped afterAll) are killed with it rather than left behind
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of running) p.kill('SIGKILL');
});

/**
 * A private redis-server for one test file: its own port and data directory,
 * AOF on, never the shared 127.0.0.1:6379. `restart()` stops it and starts a
 * new server on the same port and directory, so the AOF is replayed.
 */
export class RedisServer {
  readonly dir: string;
  port = 0;
  private proc: ChildProcess | null = null;

  private constructor(dir: string, private readonly extraArgs: string[]) {
    this.dir = dir;
  }

  static async start(opts: { args?: string[] } = {}): Promise<RedisServer> {
    const srv = new RedisServer(mkdtempSync(join(tmpdir(), 'ortq-redis-')), opts.args ?? []);
    srv.port = await freePort();
    await srv.launch();
    return srv;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  private async launch(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--appendonly', 'yes',
      '--appendfsync', 'always', '--save', '', '--maxmemory-policy', 'noeviction', ...this.extraArgs];
    const proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    proc.stdout?.on('data', (d) => { output += String(d); });
    proc.stderr?.on('data', (d) => { output += String(d); });
    this.proc = proc;
    running.add(proc);
    proc.once('exit', () => running.delete(proc));
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) throw new Error(`redis-server exited: ${output}`);
      if (await this.ping()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`redis-server did not answer PING on ${this.port}: ${output}`);
  }

  async ping(): Promise<boolean> {
    const c = new Redis({ port: this.port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    let refused = false;
    c.on('error', (err: Error) => { refused ||= /NOAUTH/.test(err.message); });
    try {
      await c.connect();
      return (await c.ping()) === 'PONG';
    } catch (err) {
      // a server started with --requirepass answers, but refuses PING without the password
      return refused || /NOAUTH/.test((err as Error).message);
    } finally {
      c.disconnect();
    }
  }

  /** Stops the server (SIGTERM: it flushes the AOF) and waits for its exit. */
  async stop(): Promise<void> {
    const proc = this.proc;
    this.proc = null;
    if (!proc || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
    });
  }

  async restart(downMs = 0): Promise<void> {
    await this.stop();
    if (downMs) await new Promise((r) => setTimeout(r, downMs));
    await this.launch();
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * For a describe block: a private redis-server and one client on it, started
 * in beforeAll, disconnected and destroyed in afterAll. Read `srv` and `redis`
 * from the returned object inside hooks and tests.
 */
export function useRedisServer(): { readonly srv: RedisServer; readonly redis: Redis } {
  const h = {} as { srv: RedisServer; redis: Redis };
  beforeAll(async () => {
    h.srv = await RedisServer.start();
    h.redis = new Redis(h.srv.url);
  });
  afterAll(async () => {
    h.redis?.disconnect();
    await h.srv?.destroy();
  });
  return h;
}
