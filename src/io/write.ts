import { rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { RecordBatch } from 'apache-arrow';
import { fromSystemError, OrtqError } from '../errors.js';
import { fsyncDir, openNew, tempPathFor, type AtomicGroup } from '../fs/atomic.js';
import type { OutputFormat } from '../predict/types.js';
import { createDataHash } from './digest.js';
import { createEncoder, type PartEncoder } from './encoders.js';

/** Writes one part file: bytes go to a dot-prefixed temp file, renamed into place on commit. */
export interface PartWriter {
  write(batch: RecordBatch): Promise<void>;
  /** `digest`: of the part's bytes, taken as they were written (src/io/digest.ts) */
  commit(): Promise<{ path: string; rows: number; bytes: number; digest: string }>;
  abort(): Promise<void>;
}

export interface PartWriterOptions {
  /**
   * commit() writes the part in full and hands it to this group instead of
   * making it durable itself: its fsync, rename and directory fsync happen in
   * the group's commit(), together with the other files of the group (the run
   * core's: the step's receipt, src/runs/steps.ts). Without one, commit()
   * returns with the part durable under its name.
   */
  group?: AtomicGroup;
}

/**
 * A part writer for `finalPath`. Until commit() the only thing on disk is
 * `tempPathFor(finalPath)` (a dot file beside it), so a crash never leaves
 * something that looks like a finished part. Same batches → same bytes.
 */
export function createPartWriter(finalPath: string, format: OutputFormat, opts: PartWriterOptions = {}): PartWriter {
  return new AtomicPartWriter(finalPath, createEncoder(format), opts.group ?? null);
}

class AtomicPartWriter implements PartWriter {
  private readonly tmp: string;
  private fh: FileHandle | null = null;
  private readonly hash = createDataHash();
  private rows = 0;
  private bytes = 0;
  private state: 'open' | 'committed' | 'aborted' = 'open';

  constructor(private readonly finalPath: string, private readonly encoder: PartEncoder, private readonly group: AtomicGroup | null) {
    this.tmp = tempPathFor(finalPath);
  }

  async write(batch: RecordBatch): Promise<void> {
    this.assertOpen();
    await this.guard(async () => {
      await this.ensureOpen();
      await this.append(this.encoder.push(batch));
      this.rows += batch.numRows;
    });
  }

  async commit(): Promise<{ path: string; rows: number; bytes: number; digest: string }> {
    this.assertOpen();
    return this.guard(async () => {
      await this.ensureOpen();
      await this.append(this.encoder.end());
      const fh = this.fh!;
      if (this.group) {
        // durable with the group (fsync, rename, directory fsync); the group closes and cleans up from here on
        this.group.stage(this.tmp, this.finalPath, fh);
        this.fh = null;
        this.state = 'committed';
        return { path: this.finalPath, rows: this.rows, bytes: this.bytes, digest: this.hash.digest() };
      }
      await fh.sync();
      await fh.close();
      this.fh = null;
      await rename(this.tmp, this.finalPath);
      this.state = 'committed';
      await fsyncDir(dirname(this.finalPath));
      return { path: this.finalPath, rows: this.rows, bytes: this.bytes, digest: this.hash.digest() };
    });
  }

  async abort(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'aborted';
    await this.fh?.close().catch(() => undefined);
    this.fh = null;
    await rm(this.tmp, { force: true });
  }

  private async ensureOpen(): Promise<void> {
    if (this.fh) return;
    // the directory is made only when the open finds it missing (every part of a run after its first)
    this.fh = await openNew(this.tmp);
  }

  private async append(chunks: Uint8Array[]): Promise<void> {
    if (chunks.length === 0) return;
    for (const c of chunks) { this.hash.update(c); this.bytes += c.byteLength; }
    await this.fh!.writev(chunks);
  }

  private assertOpen(): void {
    if (this.state !== 'open') throw new OrtqError('ORTQ_INTERNAL', `part writer for ${this.finalPath} is already ${this.state}`);
  }

  /** Any failure removes the temp file and surfaces as ORTQ_OUTPUT_FAILED (retryable) or ORTQ_PERMISSION_DENIED. */
  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      await this.abort().catch(() => undefined);
      if (err instanceof OrtqError) throw err;
      const msg = err instanceof Error ? err.message : String(err);
      // a system error keeps its code (ENOSPC, EROFS) in the message and details; EACCES is ORTQ_PERMISSION_DENIED
      const sys = fromSystemError(err);
      const code = sys?.code ?? 'ORTQ_OUTPUT_FAILED';
      throw new OrtqError(code, `writing ${this.finalPath} failed: ${msg}`, { path: this.finalPath, ...sys?.details }, { cause: err });
    }
  }
}
