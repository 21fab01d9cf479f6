import { OrtqError, isOrtqError } from '../errors.js';
import { sha256File } from '../io/fingerprint.js';

/** An input a plan recorded: its path and the sha256 of its bytes when the run was planned. */
export interface RecordedInput { path: string; sha256: string }

/**
 * Re-fingerprints the inputs a run was planned with and fails with
 * ORTQ_INPUT_CHANGED when any differs or is gone: the run id stands for
 * exactly those bytes, so re-running some of its shards on other bytes would
 * mix two data sets in one run. The fix is a new run of the job.
 */
export async function assertInputsUnchanged(runId: string, inputs: readonly RecordedInput[], jobName: string): Promise<void> {
  const changed: Array<{ path: string; recorded: string; now: string | null }> = [];
  for (const input of inputs) {
    // a file that cannot be read for another reason (permissions) is reported as itself
    const now = await sha256File(input.path).catch((err: unknown) => {
      if (isOrtqError(err, 'ORTQ_INPUT_NOT_FOUND')) return null;
      throw err;
    });
    if (now !== input.sha256) changed.push({ path: input.path, recorded: input.sha256, now });
  }
  if (changed.length === 0) return;
  const what = changed.map((c) => c.now === null
    ? `${c.path} is gone`
    : `${c.path} changed (sha256 ${c.recorded.slice(0, 12)}… when planned, ${c.now.slice(0, 12)}… now)`).join('; ');
  throw new OrtqError('ORTQ_INPUT_CHANGED',
    `run ${runId} cannot be retried: ${what}. A retry re-runs shards of the recorded inputs only; run the job again as a new run ("ortq enqueue <job file>" for job "${jobName}")`,
    { runId, changed });
}
