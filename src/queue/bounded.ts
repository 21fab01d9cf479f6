/**
 * Helpers for talking to a Redis that may be gone: BullMQ's close() and an
 * ioredis QUIT wait for an answer that never comes while Redis is down.
 */

/** Waits for `p` at most `ms`; resolves with whether it settled in time (its errors are swallowed). */
export async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), ms); });
  try {
    return await Promise.race([p.then(() => true, () => true), expired]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Closes something politely (`close`) and, when that does not finish within
 * `ms` (Redis unreachable), hard (`force`: drop the sockets). Never throws.
 */
export async function closeWithin(close: () => Promise<unknown>, force: () => unknown, ms: number): Promise<'closed' | 'forced'> {
  let polite: Promise<unknown>;
  try {
    polite = close();
  } catch {
    polite = Promise.resolve();
  }
  if (await settlesWithin(polite, ms)) return 'closed';
  try {
    await settlesWithin(Promise.resolve(force()), 1000);
  } catch {
    // dropping a socket that is already gone
  }
  return 'forced';
}

/**
 * True for errors that mean "the connection to Redis is down" rather than
 * "Redis answered with an error": ioredis' offline and retry errors and the
 * socket errors below them.
 */
export function isConnectionError(err: unknown): boolean {
  const msg = err instanceof Error ? err.message : String(err ?? '');
  return /max retries per request|Connection is closed|Stream isn't writeable|enableOfflineQueue|Command timed out|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENOTFOUND|socket (closed|hang up)|LOADING/i.test(msg);
}
