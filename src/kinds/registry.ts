import { OrtqError } from '../errors.js';
import type { AnyJobKind } from './types.js';

/**
 * The job-kind registry: the one place that knows which kinds exist. The
 * queue, the CLI, the scheduler, status and the dashboard dispatch on a
 * spec's `kind:` through here and import no kind's code themselves.
 *
 * Kinds load lazily (`loadKind`), so `ortq --help` or `ortq status` never
 * load onnxruntime; what the queue needs without loading a kind (its queue
 * name, its step order) is in the entry itself.
 */
export interface KindEntry {
  name: string;
  /** BullMQ work queue of its steps */
  queue: string;
  order: 'parallel' | 'sequence';
  load(): Promise<AnyJobKind>;
}

const ENTRIES: KindEntry[] = [
  { name: 'predict', queue: 'predict', order: 'parallel', load: async () => (await import('./predict/kind.js')).predictKind },
  { name: 'train', queue: 'train', order: 'sequence', load: async () => (await import('./train/kind.js')).trainKind },
];

const loaded = new Map<string, Promise<AnyJobKind>>();

/** Adds a kind (used by kinds living outside this file, and by tests). A name is registered once. */
export function registerKind(entry: KindEntry): void {
  if (ENTRIES.some((e) => e.name === entry.name)) throw new OrtqError('ORTQ_INTERNAL', `job kind "${entry.name}" is registered twice`);
  ENTRIES.push(entry);
}

export function knownKinds(): string[] {
  return ENTRIES.map((e) => e.name);
}

/** The registry entry of a kind; an unknown kind is ORTQ_JOB_INVALID, listing the known ones. */
export function kindEntry(name: unknown, source = 'job'): KindEntry {
  const e = ENTRIES.find((k) => k.name === name);
  if (!e) {
    throw new OrtqError('ORTQ_JOB_INVALID', `${source}: kind: unknown job kind ${JSON.stringify(name)} (known: ${knownKinds().join(', ')})`, {
      problems: [{ path: 'kind', message: `unknown job kind; known: ${knownKinds().join(', ')}` }],
      known: knownKinds(),
    });
  }
  return e;
}

/** The kind whose steps go to `queue`, or null. */
export function kindForQueue(queue: string): KindEntry | null {
  return ENTRIES.find((e) => e.queue === queue) ?? null;
}

/** Every work queue a kind uses, in registration order. */
export function kindQueues(): string[] {
  return [...new Set(ENTRIES.map((e) => e.queue))];
}

/** Loads a kind's code (once per process). */
export function loadKind(name: unknown, source?: string): Promise<AnyJobKind> {
  const e = kindEntry(name, source);
  let p = loaded.get(e.name);
  if (!p) {
    p = e.load();
    loaded.set(e.name, p);
  }
  return p;
}
