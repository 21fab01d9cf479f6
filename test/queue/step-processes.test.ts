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
function events(log: string[], key: string, onStaged?: () => void): StepEvents {
  return { staged: () => { log.push(`${key} staged`); onStaged?.(); }, progress: () => log.push(`${key} progress`) };
}

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
