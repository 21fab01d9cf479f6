import { OrtqError, isOrtqError } from '../errors.js';
import { digestAlgorithm, recordedDigest, shortDigest } from '../io/digest.js';
import { digestFile } from '../io/fingerprint.js';

/**
 * An input a plan recorded: its path and the digest of its bytes when the run
 * was planned (`sha256`: a plan of run format 1, checked with sha256).
 */
export interface RecordedInput { path: string; digest?: string; sha256?: string }

/**
 * The inputs a plan recorded, whatever its kind: a list (predict) or lists
 * by role (train: `{ train: [...], eval: [...] }`).
 */
export function recordedInputs(plan: { inputs?: unknown }): RecordedInput[] {
  const inputs = plan.inputs;
  if (Array.isArray(inputs)) return inputs as RecordedInput[];
  if (inputs && typeof inputs === 'object') return Object.values(inputs).flatMap((v) => (Array.isArray(v) ? (v as RecordedInput[]) : []));
  return [];
}

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
    const recorded = recordedDigest(input) ?? '';
    const now = await digestFile(input.path, digestAlgorithm(recorded)).catch((err: unknown) => {
      if (isOrtqError(err, 'ORTQ_INPUT_NOT_FOUND')) return null;
      throw err;
    });
    if (now !== recorded) changed.push({ path: input.path, recorded, now });
  }
  if (changed.length === 0) return;
  const what = changed.map((c) => c.now === null
    ? `${c.path} is gone`
    : `${c.path} changed (${shortDigest(c.recorded)} when planned, ${shortDigest(c.now)} now)`).join('; ');
  throw new OrtqError('ORTQ_INPUT_CHANGED',
    `run ${runId} cannot be retried: ${what}. A retry re-runs shards of the recorded inputs only; run the job again as a new run ("ortq enqueue <job file>" for job "${jobName}")`,
    { runId, changed });
}
