import { fork, type ChildProcess } from 'node:child_process';
import type { StepJobResult, StepMessage, StepStart } from './step-processor.js';

/** What the owner of a step hears while it runs, besides its end. */
export interface StepEvents {
  /** the step has read all its rows: the next step may be sent to its process, which holds it until this one is staged */
  soon?(): void;
  /** the step's work is done; only its commit's waits for the disk are left (told only by a step that said no `soon`) */
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
  /** the step sent while `computing` works, which the process begins once that one is staged or ends */
  next: string | null = null;
  /** `computing` has read all its rows (`soon`): the process may be sent `next` */
  open = false;
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
    // Whether the process takes no step after those it holds, decided here for every message that says:
    // at `soon` or `staged` (so that the next step goes to another process, which starts while this one
    // ends) and again at the end (its RSS since; a step that said neither, its receipt being there). Set
    // before the owner hears of the message, since `soon` and `staged` make it fetch the next step.
    if (msg.cmd === 'completed' ? msg.value.retire : msg.cmd !== 'failed' && msg.retire) this.retiring = true;
    if (msg.cmd === 'soon') {
      // from the step held next: the process began it, so the one before was staged (it says so no more)
      if (this.next === msg.key) this.workDone(this.computing!);
      if (this.computing === msg.key) this.open = true;
      return r.events.soon?.();
    }
    // the process begins the step it holds once this one is staged or ends
    this.workDone(msg.key);
    if (msg.cmd === 'staged') return r.events.staged();
    this.steps.delete(msg.key);
    if (msg.cmd === 'completed') r.resolve(msg.value);
    else r.reject(Object.assign(new Error(msg.error.message), msg.error));
  }

  /**
   * Step `key` does no more work here (staged, ended, or never sent): the step held next, if any, is the
   * one at work now. A held step that ends before its turn (its receipt was there, or it failed before
   * its work) only frees the place.
   */
  private workDone(key: string): void {
    if (this.computing === key) {
      this.computing = this.next;
      this.next = null;
      this.open = false;
    } else if (this.next === key) {
      this.next = null;
    }
  }

  /** no step at work here, or the one at work has read its rows and holds no next yet */
  get free(): boolean {
    return !this.exited && !this.retiring && (this.computing === null || (this.open && this.next === null));
  }

  async run(key: string, job: Omit<StepStart, 'cmd' | 'key'>, events: StepEvents): Promise<StepJobResult> {
    if (this.computing === null) this.computing = key;
    else this.next = key;
    const done = new Promise<StepJobResult>((resolve, reject) => this.steps.set(key, { events, resolve, reject }));
    try {
      await this.ready;
      const start: StepStart = { cmd: 'start', key, ...job };
      await new Promise<void>((resolve, reject) => this.child.send(start, (err) => (err ? reject(err) : resolve())));
    } catch (err) {
      this.workDone(key);
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
 * (one child per job): a process is sent its next step once the step at work
 * has read all its rows (`soon`) and holds it until that one is `staged`, then
 * begins it while the previous step's commit still waits for the disk
 * (StepProcess.computing, next), so the fetch of the next step overlaps the
 * end of the work and the commit's wait overlaps the next step's work; the
 * owner (ShardWorker) fetches that next step only once the step at work says
 * `soon` (or `staged`, for a step that cannot tell).
 */
export class StepProcesses {
  private readonly procs = new Set<StepProcess>();
  private readonly holder = new Map<string, StepProcess>();

  constructor(private readonly file: string, private readonly env?: NodeJS.ProcessEnv) {}

  /**
   * Runs a step (`key`: its job id) in a process with no step at work, else in one whose step at work has
   * read all its rows (`soon`; the process holds this one until that one is staged), else in a new one.
   */
  async run(key: string, job: Omit<StepStart, 'cmd' | 'key'>, events: StepEvents): Promise<StepJobResult> {
    const live = [...this.procs];
    let p = live.find((x) => x.free && x.computing === null) ?? live.find((x) => x.free);
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
