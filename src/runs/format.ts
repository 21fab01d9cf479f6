import { recordedDigest } from '../io/digest.js';
import type { StepFile, StepReceipt } from '../kinds/types.js';

/**
 * The format of what a run directory holds (`run.json`'s `format`, and the
 * receipts and plan beside it):
 * - 2: data digests are `digest: "<algorithm>:<hex>"`, xxh3-64 (src/io/digest.ts);
 *   run ids of new runs changed with it, since input digests are part of them.
 * - 1 (no `format`): a bare hex `sha256` field where 2 has `digest`.
 * Runs of format 1 still resume, finish and verify: their sha256 is checked as sha256.
 */
export const RUN_FORMAT_VERSION = 2;

/** A receipt as read from disk, with a format-1 file's `sha256` read as `digest: "sha256:<hex>"`. */
export function upgradeReceipt(r: StepReceipt): StepReceipt {
  if (!Array.isArray(r.files) || !r.files.some((f) => 'sha256' in f)) return r;
  return {
    ...r,
    files: r.files.map((f) => {
      if (!('sha256' in f)) return f;
      const { sha256: _old, ...rest } = f as StepFile & { sha256?: string | null };
      return { ...rest, digest: recordedDigest(f as StepFile & { sha256?: string | null }) };
    }),
  };
}
