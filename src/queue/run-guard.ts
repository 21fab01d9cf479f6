import type { Redis } from 'ioredis';
import { metaKeys } from './queues.js';

/**
 * Exclusive resources of queued runs (JobKind.exclusive, e.g. `train:iris`:
 * one training per model at a time), kept in Redis so that every worker on
 * every machine sees them. A resource is a key whose value is the run id
 * holding it, with a TTL: renewed while a step of that run works, released
 * when the run's last step ends, a step fails, or the run is finalized. A
 * holder that dies (SIGKILL) loses it when the TTL runs out; its own retried
 * steps (same run id) take it back at once.
 */

// free, or already ours (the next step of the same run, or a retry of a stalled step): take it
const ACQUIRE = `
local cur = redis.call('GET', KEYS[1])
if (not cur) or cur == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return {1, ARGV[1], tonumber(ARGV[2])}
end
return {0, cur, redis.call('PTTL', KEYS[1])}
`;

const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

export type GuardResult = { held: true } | { held: false; holder: string; ttlMs: number };

export interface GuardHold {
  /** stops renewing; `release` also gives the resource up (if still ours) */
  stop(release: boolean): Promise<void>;
}

export class RunGuards {
  private readonly keys: ReturnType<typeof metaKeys>;

  /** `ttlMs`: how long a resource outlives its holder's last renewal */
  constructor(private readonly client: Redis, prefix: string, readonly ttlMs: number) {
    this.keys = metaKeys(prefix);
  }

  async acquire(resource: string, runId: string): Promise<GuardResult> {
    const [ok, holder, ttl] = (await this.client.eval(ACQUIRE, 1, this.keys.guard(resource), runId, this.ttlMs)) as [number, string, number];
    return ok === 1 ? { held: true } : { held: false, holder, ttlMs: Number(ttl) };
  }

  /** Renews the resource every third of its TTL until stopped; `onLost` is told once if another run took it. */
  hold(resource: string, runId: string, onLost: (err?: Error) => void = () => {}): GuardHold {
    let told = false;
    const timer = setInterval(() => {
      this.client.eval(RENEW, 1, this.keys.guard(resource), runId, this.ttlMs).then((n) => {
        if (Number(n) === 0 && !told) {
          told = true;
          onLost();
        }
      }, (err: Error) => onLost(err));
    }, Math.max(100, Math.floor(this.ttlMs / 3)));
    timer.unref();
    return {
      stop: async (release) => {
        clearInterval(timer);
        if (release) await this.release(resource, runId);
      },
    };
  }

  /** Gives the resource up if `runId` holds it; true when it did. */
  async release(resource: string, runId: string): Promise<boolean> {
    return Number(await this.client.eval(RELEASE, 1, this.keys.guard(resource), runId)) === 1;
  }

  /** The run holding `resource`, or null. */
  holder(resource: string): Promise<string | null> {
    return this.client.get(this.keys.guard(resource));
  }
}
