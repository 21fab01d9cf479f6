import type { Data, RecordBatch } from 'apache-arrow';

/**
 * Read buffers in SharedArrayBuffers, reused across batches. A fresh
 * multi-MB buffer per record batch cost page faults and garbage collections
 * ("external memory pressure") that outweighed the read itself, and a view of
 * an ordinary buffer cannot reach the inference thread without being copied
 * or transferred away; a shared one is seen by both threads as it is.
 *
 * A buffer is counted out: the reader holds one reference while it decodes
 * and slices a batch, and takes one more per slice it hands out
 * (`retain`); the consumer gives each slice back (`releaseBatch`) once
 * nothing reads its columns any more. At zero the buffer is free for the next
 * read. A batch never given back is simply garbage collected with its buffer.
 */
export class SharedReadPool {
  private free: SharedArrayBuffer[] = [];
  private readonly refs = new Map<SharedArrayBuffer, number>();
  private idle: NodeJS.Timeout | null = null;
  /** the most buffers counted out at once since the pool was last idle */
  private peak = 0;

  /**
   * @param keep - free buffers kept for reuse at most, or as many as were counted out at once since the pool
   *   was last idle if more: a run of many shards fills and drains its pipeline once per shard, and keeping
   *   only 4 of the 6 a shard holds at its peak allocated two fresh buffers per shard (199 for 100 shards,
   *   8 for one). Never more buffers than that peak exist at once while their sizes match.
   * @param idleMs - free buffers are dropped once none has been counted out for this long
   */
  constructor(private readonly keep = 4, private readonly idleMs = 2000) {}

  /** A buffer of at least `bytes`, counted once (the caller's reference). */
  take(bytes: number): SharedArrayBuffer {
    if (this.idle) { clearTimeout(this.idle); this.idle = null; }
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const b = this.free[i];
      if (b.byteLength >= bytes && b.byteLength <= bytes * 2 && (best < 0 || b.byteLength < this.free[best].byteLength)) best = i;
    }
    const sab = best >= 0 ? this.free.splice(best, 1)[0] : new SharedArrayBuffer(bytes);
    this.refs.set(sab, 1);
    if (this.refs.size > this.peak) this.peak = this.refs.size;
    return sab;
  }

  retain(sab: SharedArrayBuffer): void {
    const n = this.refs.get(sab);
    if (n !== undefined) this.refs.set(sab, n + 1);
  }

  release(sab: SharedArrayBuffer): void {
    const n = this.refs.get(sab);
    if (n === undefined) return;
    if (n > 1) { this.refs.set(sab, n - 1); return; }
    this.refs.delete(sab);
    if (this.free.length < Math.max(this.keep, this.peak)) this.free.push(sab);
    if (this.refs.size === 0 && !this.idle) {
      // a long-lived process does not keep a run's buffers after it
      this.idle = setTimeout(() => { this.idle = null; this.free = []; this.peak = 0; }, this.idleMs);
      this.idle.unref();
    }
  }

  /** Gives back a batch handed out by a reader that used this pool (others are ignored). */
  releaseBatch(batch: RecordBatch): void {
    const sab = sharedBufferOf(batch);
    if (sab) this.release(sab);
  }

  /** buffers counted out now (tests) */
  get inUse(): number {
    return this.refs.size;
  }
}

/** The SharedArrayBuffer a batch's columns (nested children and dictionaries included) are views of, or null. */
export function sharedBufferOf(batch: RecordBatch): SharedArrayBuffer | null {
  return sharedIn(batch.data);
}

function sharedIn(data: Data): SharedArrayBuffer | null {
  for (const b of [data.values, data.nullBitmap, data.valueOffsets, data.typeIds] as Array<ArrayBufferView | undefined>) {
    if (b && b.byteLength > 0 && b.buffer instanceof SharedArrayBuffer) return b.buffer;
  }
  // a dictionary is decoded from the file's prefix, which is read into the same buffer
  for (const child of [...data.children, ...(data.dictionary?.data ?? [])]) {
    const sab = sharedIn(child);
    if (sab) return sab;
  }
  return null;
}

/**
 * The process's pool for predict shards: consecutive shards (and the shards
 * of concurrent runs) reuse one set of buffers; a pool per shard left each
 * shard's buffers to the garbage collector, which reclaims shared memory late.
 */
export const shardReadPool = new SharedReadPool();
