import { FlowProducer, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { OrtqConfig } from '../config.js';
import { OrtqError } from '../errors.js';
import { closeWithin, isConnectionError } from './bounded.js';
import { connectionFromConfig, openRedis, type QueueConnection } from './connection.js';
import { QueuedRunStore } from './queued-runs.js';
import { RUNS_QUEUE } from './queues.js';
import { maskRedisUrl } from './redis-url.js';

// a Redis that does not answer QUIT is not waited for
const CLOSE_MS = 2000;

/**
 * The producer side of the queue, for commands (enqueue, status, runs
 * retry/cancel) and the scheduler: one checked Redis connection, the run
 * records, and BullMQ queues/flow producer created on first use.
 */
export class QueueClient {
  readonly store: QueuedRunStore;
  private readonly queues = new Map<string, Queue>();
  private flows: FlowProducer | null = null;

  private constructor(readonly conn: QueueConnection, readonly redis: Redis) {
    this.store = new QueuedRunStore(redis, conn.prefix);
  }

  /**
   * Connects, failing within `timeoutMs` with ORTQ_REDIS_UNAVAILABLE (URL
   * masked). `role: 'service'` (scheduler) reconnects forever afterwards.
   */
  static async open(config: Pick<OrtqConfig, 'redis'>, opts: { timeoutMs?: number; role?: 'client' | 'service' } = {}): Promise<QueueClient> {
    const conn = connectionFromConfig(config, opts.role === 'service' ? 'worker' : 'client');
    const redis = await openRedis(conn, { timeoutMs: opts.timeoutMs });
    return new QueueClient(conn, redis);
  }

  queue(name: string): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.conn.redis, prefix: this.conn.prefix });
      q.on('error', () => {}); // surfaced by the calls that fail
      this.queues.set(name, q);
    }
    return q;
  }

  get runs(): Queue {
    return this.queue(RUNS_QUEUE);
  }

  get flowProducer(): FlowProducer {
    if (!this.flows) {
      this.flows = new FlowProducer({ connection: this.conn.redis, prefix: this.conn.prefix });
      this.flows.on('error', () => {});
    }
    return this.flows;
  }

  /**
   * A connection error from the middle of a command as ORTQ_REDIS_UNAVAILABLE
   * naming the masked target; any other error unchanged.
   */
  explain(err: unknown): unknown {
    if (!isConnectionError(err) || err instanceof OrtqError) return err;
    return new OrtqError('ORTQ_REDIS_UNAVAILABLE', `lost Redis at ${maskRedisUrl(this.conn.url)}: ${(err as Error).message}`, { url: maskRedisUrl(this.conn.url) });
  }

  /** Closes every connection; one that Redis does not let close within a moment is dropped. */
  async close(): Promise<void> {
    const all: Array<{ close(): Promise<unknown>; disconnect(): unknown }> = [...this.queues.values(), ...(this.flows ? [this.flows] : [])];
    await Promise.all(all.map((c) => closeWithin(() => c.close(), () => c.disconnect(), CLOSE_MS)));
    await closeWithin(() => this.redis.quit(), () => this.redis.disconnect(), CLOSE_MS);
  }
}
