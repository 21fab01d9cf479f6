import type { Queue } from 'bullmq';

/** One worker process serving a queue, however many Redis connections it holds there. */
export interface WorkerProcess {
  /** the name the worker gave BullMQ: `<host>-<pid>` for ortq workers */
  name: string;
  addr: string;
  /** seconds since the least idle of its connections last sent a command */
  idleSeconds: number;
}

/**
 * The worker name inside a BullMQ client name `<prefix>:<base64 queue>:w:<name>`;
 * null for an unnamed worker (its client name ends at the queue).
 */
export function workerNameOf(clientName: string): string | null {
  const i = clientName.indexOf(':w:');
  return i < 0 ? null : clientName.slice(i + 3) || null;
}

/**
 * The worker processes connected to a queue, from CLIENT LIST. BullMQ's
 * `getWorkers()` lists connections (a worker has several: commands, blocking
 * fetch) and reports each under the queue's name, so it is grouped here by the
 * worker name in the raw client name; unnamed workers count once per address.
 */
export async function workerProcesses(queue: Queue): Promise<WorkerProcess[]> {
  const conns = await queue.getWorkers();
  const byName = new Map<string, WorkerProcess>();
  for (const c of conns) {
    const raw = String(c.rawname ?? '');
    const addr = String(c.addr ?? '');
    const name = workerNameOf(raw) ?? `unnamed@${addr.replace(/:\d+$/, '') || String(c.id ?? '?')}`;
    const idle = Number(c.idle ?? 0);
    const prev = byName.get(name);
    if (prev) prev.idleSeconds = Math.min(prev.idleSeconds, idle);
    else byName.set(name, { name, addr, idleSeconds: idle });
  }
  return [...byName.values()];
}
