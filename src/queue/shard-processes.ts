import { fork, type ChildProcess } from 'node:child_process';
import type { StepJobResult, StepMessage, StepStart } from './step-processor.js';

/** What the owner of a step hears while it runs, besides its end. */
export interface StepEvents {
  /** the step's work is done; only its commit's waits for the disk are left */
  staged(): void;
  progress(value: { rows: number }): void;
}

interface Running {
  events: StepEvents;
  resolve(r: StepJobResult): void;
  reject(err: Error): void;
}

/** One step process (src/queue/step-processor.ts) and the steps it holds. */
class StepProcess {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  readonly steps = new Map<string, Running>();
  /** the step doing its work here (at most one): the others only wait for their commit */
  computing: string | null = null;
  /** asked to be replaced: takes no more steps, ends once it holds none */
  retiring = false;
  exited = false;

  constructor(file: string, env: NodeJS.ProcessEnv | undefined, onExit: (p: StepProcess) => void) {
    // inspector flags would make every child fight for the parent's port
    const execArgv = process.execArgv.filter((a) => !a.startsWith('--inspect'));
    this.child = fork(file, [], { env, execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.ready = new Promise((resolve, reject) => {
      this.child.on('message', (msg: StepMessage) => {
        if (msg.cmd === 'ready') resolve();
        else this.onMessage(msg);
      });
      this.child.once('exit', (code, signal) => {
        this.exited = true;
        const err = new Error(`Unexpected exit code: ${code} signal: ${signal}`);
        reject(err);
        for (const r of this.steps.values()) r.reject(err);
        this.steps.clear();
        onExit(this);
      });
      // a failed fork (or a send to a dead child) ends in 'exit' too
      this.child.on('error', () => undefined);
    });
    this.ready.catch(() => undefined);
  }

  private onMessage(msg: Exclude<StepMessage, { cmd: 'ready' }>): void {
    const r = this.steps.get(msg.key);
    if (!r) return;
    if (msg.cmd === 'progress') return r.events.progress(msg.value);
    if (this.computing === msg.key) this.computing = null;
    if (msg.cmd === 'staged') return r.events.staged();
    this.steps.delete(msg.key);
    if (msg.cmd === 'completed') {
      if (msg.value.retire) this.retiring = true;
      r.resolve(msg.value);
    } else {
      r.reject(Object.assign(new Error(msg.error.message), msg.error));
    }
  }

  async run(key: string, job: Omit<StepStart, 'cmd' | 'key'>, events: StepEvents): Promise<StepJobResult> {
    this.computing = key;
    const done = new Promise<StepJobResult>((resolve, reject) => this.steps.set(key, { events, resolve, reject }));
    try {
      await this.ready;
      const start: StepStart = { cmd: 'start', key, ...job };
      await new Promise<void>((resolve, reject) => this.child.send(start, (err) => (err ? reject(err) : resolve())));
    } catch (err) {
      if (this.computing === key) this.computing = null;
      this.steps.delete(key);
      throw err;
    }
    return done;
  }

  kill(signal: NodeJS.Signals): void {
    if (!this.exited) this.child.kill(signal);
  }

  whenExited(): Promise<void> {
    return this.exited ? Promise.resolve() : new Promise((r) => this.child.once('exit', () => r()));
  }
}

/**
 * The step processes of one queue's worker, in place of BullMQ's sandbox
 * (one child per job): a process takes a step while its previous step's
 * commit is still waiting for the disk (StepProcess.computing), so that wait
 * overlaps the next step's work; the owner (ShardWorker) fetches that next
 * step only once the previous one is `staged`.
 */
export class StepProcesses {
  private readonly procs = new Set<StepProcess>();
  private readonly holder = new Map<string, StepProcess>();

  constructor(private readonly file: string, private readonly env?: NodeJS.ProcessEnv) {}

  /** Runs a step (`key`: its job id) in a process with no step at work, started if there is none. */
  async run(key: string, job: Omit<StepStart, 'cmd' | 'key'>, events: StepEvents): Promise<StepJobResult> {
    let p = [...this.procs].find((x) => !x.exited && !x.retiring && x.computing === null);
    if (!p) {
      p = new StepProcess(this.file, this.env, (gone) => this.procs.delete(gone));
      this.procs.add(p);
    }
    this.holder.set(key, p);
    try {
      return await p.run(key, job, events);
    } finally {
      this.holder.delete(key);
      // SIGTERM: it holds no step any more, so it ends at once
      if (p.retiring && p.steps.size === 0) p.kill('SIGTERM');
    }
  }

  /** Kills the process holding step `key` (and every other step it holds: they fail). */
  kill(key: string, signal: NodeJS.Signals = 'SIGKILL'): void {
    this.holder.get(key)?.kill(signal);
  }

  /** Ends every process (SIGTERM, then SIGKILL after `waitMs`) and waits for them up to then. */
  async close(waitMs = 5000): Promise<void> {
    const all = [...this.procs];
    for (const p of all) p.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((r) => {
      timer = setTimeout(() => {
        for (const p of all) p.kill('SIGKILL');
        r();
      }, waitMs);
    });
    await Promise.race([Promise.all(all.map((p) => p.whenExited())), late]);
    clearTimeout(timer);
  }

  /** pids of the live processes, for tests and diagnostics */
  pids(): number[] {
    return [...this.procs].filter((p) => !p.exited).map((p) => p.child.pid!);
  }
}
