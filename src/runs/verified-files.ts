import type { BigIntStats } from 'node:fs';
import { fileIdentity } from '../fs/identity.js';
import type { DigestAlgorithm } from '../io/digest.js';

/** files remembered at most: a worker serving many runs must not grow without bound */
const MAX_FILES = 20_000;

/**
 * Files whose digest their writer vouches for: a queue worker hears from its
 * step process, with each acknowledged step, the identity of every file the
 * step wrote (fileIdentity, taken by the step process right after its durable
 * commit; the digest in the receipt is of the bytes as they were written,
 * src/io/write.ts). At the run's finalize, a file that still has that identity
 * is the file its writer committed, so its recorded digest stands and it is
 * not read back (`digestOf`), as a local run does not read back its own parts.
 * Any write to it, a rename of it, a replacement by another file changes its
 * identity (ctime is set by the kernel and cannot be set back by a user), and
 * it is read and hashed again, as is every file of a step that another worker
 * ran or that was not written in this attempt.
 */
export class VerifiedFiles {
  private readonly files = new Map<string, { id: string; digest: string }>();

  /** `file` (absolute) has identity `id` and its bytes digest `digest` (`<algorithm>:<hex>`), as its writer says. */
  vouch(file: string, id: string, digest: string): void {
    this.files.delete(file);
    this.files.set(file, { id, digest });
    if (this.files.size > MAX_FILES) this.files.delete(this.files.keys().next().value!);
  }

  /** The vouched digest of `file` when `st` (its stat now, bigint) is the version vouched for and the algorithm matches; null otherwise. */
  digestOf(file: string, st: BigIntStats, algorithm: DigestAlgorithm): string | null {
    const known = this.files.get(file);
    return known && known.id === fileIdentity(st) && known.digest.startsWith(`${algorithm}:`) ? known.digest : null;
  }

  /** Forgets every file under `dir` (a finalized run's directory). */
  forgetUnder(dir: string): void {
    const prefix = dir.endsWith('/') ? dir : `${dir}/`;
    for (const f of [...this.files.keys()]) if (f.startsWith(prefix)) this.files.delete(f);
  }

  get size(): number {
    return this.files.size;
  }
}
