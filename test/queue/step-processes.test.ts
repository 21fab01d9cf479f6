import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { StepProcesses, type StepEvents } from '../../src/queue/shard-processes.js';

const FAKE = fileURLToPath(new URL('../fixtures/queue/fake-step-process.mjs', import.meta.url));
const pools: StepProcesses[] = [];
afterEach(async () => { await Promise.all(pools.splice(0).map((p) => p.close(1000))); });

function pool(): StepProcesses {
  const p = new StepProcesses(FAKE, process.env);
  pools.push(p);
  return p;
}

const job = (key: string, data: Record<string, unknown>) => ({ id: key, data: data as never, attemptsMade: 0 });
function events(log: string[], key: string, onStaged?: () => void, onSoon?: () => void): StepEvents {
  return {
    soon: () => { log.push(`${key} soon`); onSoon?.(); },
    staged: () => { log.push(`${key} staged`); onStaged?.(); },
    progress: () => log.push(`${key} progress`),
  };
}
interface Done { pid: number; overlapped: boolean; wasHeld: boolean; startedAt: number; stagedAt: number }

describe('StepProcesses (a step process takes the next step while the last one commits)', () => {
  it('starts the next step in the same process once the first is staged, while the first commits', async () => {
    const p = pool();
    const log: string[] = [];
    let second: Promise<unknown> | undefined;
    const first = p.run('a', job('a', { workMs: 20, commitMs: 300 }), events(log, 'a', () => {
      second = p.run('b', job('b', { workMs: 20, commitMs: 0 }), events(log, 'b'));
    }));
    const [ra, rb] = await Promise.all([first, (async () => { await until(() => second !== undefined); return second; })()]) as Array<{ pid: number; overlapped: boolean }>;
    // b was started while a committed, in the same process, and was the only step at work there
    expect(rb.pid).toBe(ra.pid);
    expect(rb.overlapped).toBe(false);
    expect(log.indexOf('b staged')).toBeGreaterThan(log.indexOf('a staged'));
    expect(p.pids()).toEqual([ra.pid]);
  });

  it('a step sent once the one at work said soon goes to the same process, which holds it until that one is staged; a third goes elsewhere', async () => {
    const p = pool();
    const log: string[] = [];
    let second: Promise<Done> | undefined;
    let third: Promise<Done> | undefined;
    const first = p.run('a', job('a', { soonMs: 10, workMs: 150, commitMs: 100 }), events(log, 'a', undefined, () => {
      second = p.run('b', job('b', { workMs: 20 }), events(log, 'b')) as Promise<Done>;
      // b is held there: a third step may not queue behind it
      third = p.run('c', job('c', { workMs: 20 }), events(log, 'c')) as Promise<Done>;
    })) as Promise<Done>;
    const ra = await first;
    await until(() => second !== undefined && third !== undefined);
    const [rb, rc] = await Promise.all([second!, third!]);
    expect(rb.pid).toBe(ra.pid);
    expect(rb.wasHeld).toBe(true);
    expect(rb.overlapped).toBe(false);
    // b began only once a was staged, while a still committed; a step that said soon says no staged
    expect(rb.startedAt).toBeGreaterThanOrEqual(ra.stagedAt);
    expect(log).toContain('a soon');
    expect(log).not.toContain('a staged');
    expect(log).toContain('b staged');
    expect(rc.pid).not.toBe(ra.pid);
    expect(rc.wasHeld).toBe(false);
  });

  it('steps that each say soon follow one another in one process, each held until the one before is staged', async () => {
    const p = pool();
    const runs: Array<Promise<Done>> = [];
    const next = (i: number): void => {
      if (i > 3) return;
      const key = `s${i}`;
      runs.push(p.run(key, job(key, { soonMs: 5, workMs: 60, commitMs: 80 }), events([], key, undefined, () => next(i + 1))) as Promise<Done>);
    };
    next(0);
    await until(() => runs.length === 4);
    const done = await Promise.all(runs);
    expect(new Set(done.map((d) => d.pid)).size).toBe(1);
    for (let i = 1; i < done.length; i++) {
      expect(done[i].wasHeld).toBe(true);
      expect(done[i].startedAt).toBeGreaterThanOrEqual(done[i - 1].stagedAt);
    }
  });

  it('a held step begins when the step at work fails before it is staged', async () => {
    const p = pool();
    let second: Promise<Done> | undefined;
    const first = p.run('a', job('a', { soonMs: 5, workMs: 100, fail: 'work' }), events([], 'a', undefined, () => {
      second = p.run('b', job('b', { workMs: 10 }), events([], 'b')) as Promise<Done>;
    }));
    await expect(first).rejects.toMatchObject({ message: 'bad step' });
    await until(() => second !== undefined);
    const rb = await second!;
    expect(rb.wasHeld).toBe(true);
    expect(p.pids()).toEqual([rb.pid]);
  });

  it('a held step that ends before its turn (its receipt was there) leaves its process free for the next one', async () => {
    const p = pool();
    let second: Promise<Done> | undefined;
    let third: Promise<Done> | undefined;
    const first = p.run('a', job('a', { soonMs: 5, workMs: 200 }), events([], 'a', undefined, () => {
      second = p.run('b', job('b', { done: true }), events([], 'b')) as Promise<Done>;
      void second.then(() => { third = p.run('c', job('c', { workMs: 10 }), events([], 'c')) as Promise<Done>; });
    })) as Promise<Done>;
    await until(() => third !== undefined);
    const [ra, rb, rc] = await Promise.all([first, second!, third!]);
    expect(rb.pid).toBe(ra.pid);
    // c went to a's process, held there until a was staged
    expect(rc.pid).toBe(ra.pid);
    expect(rc.wasHeld).toBe(true);
    expect(rc.startedAt).toBeGreaterThanOrEqual(ra.stagedAt);
  });

  it('a process that says at staged it will retire is sent no further step', async () => {
    const p = pool();
    let second: Promise<Done> | undefined;
    const first = p.run('a', job('a', { workMs: 20, commitMs: 200, retire: true }), events([], 'a', () => {
      second = p.run('b', job('b', {}), events([], 'b')) as Promise<Done>;
    })) as Promise<Done>;
    const ra = await first;
    await until(() => second !== undefined);
    expect((await second!).pid).not.toBe(ra.pid);
  });

  it('a process that says at soon it will retire is sent no next step: it goes to a new process, which starts meanwhile', async () => {
    const p = pool();
    let second: Promise<Done> | undefined;
    const first = p.run('a', job('a', { soonMs: 5, workMs: 100, retire: true }), events([], 'a', undefined, () => {
      second = p.run('b', job('b', { workMs: 10 }), events([], 'b')) as Promise<Done>;
    })) as Promise<Done>;
    const ra = await first;
    await until(() => second !== undefined);
    const rb = await second!;
    expect(rb.pid).not.toBe(ra.pid);
    expect(rb.wasHeld).toBe(false);
  });

  it('a step at work keeps its process to itself: a second step at once gets another process', async () => {
    const p = pool();
    const [ra, rb] = await Promise.all([p.run('a', job('a', { workMs: 100 }), events([], 'a')), p.run('b', job('b', { workMs: 100 }), events([], 'b'))]);
    expect(ra.pid).not.toBe(rb.pid);
    expect(p.pids().sort()).toEqual([ra.pid, rb.pid].sort());
  });

  it('a process that asks to retire takes no more steps and ends once it holds none', async () => {
    const p = pool();
    const ra = await p.run('a', job('a', { retire: true }), events([], 'a'));
    await until(() => !p.pids().includes(ra.pid));
    const rb = await p.run('b', job('b', {}), events([], 'b'));
    expect(rb.pid).not.toBe(ra.pid);
  });

  it('a failed step rejects with its error; a killed process fails every step it holds', async () => {
    const p = pool();
    await expect(p.run('a', job('a', { fail: 'work' }), events([], 'a'))).rejects.toMatchObject({ name: 'UnrecoverableError', message: 'bad step' });
    let second: Promise<unknown> | undefined;
    const first = p.run('c', job('c', { commitMs: 5000 }), events([], 'c', () => {
      second = p.run('d', job('d', { workMs: 5000 }), events([], 'd'));
      second.catch(() => undefined);
      setTimeout(() => p.kill('d'), 50);
    }));
    await expect(first).rejects.toThrow(/Unexpected exit code: null signal: SIGKILL/);
    await expect(second).rejects.toThrow(/SIGKILL/);
    expect(p.pids()).toEqual([]);
  });
});

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}
