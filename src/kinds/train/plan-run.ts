import { join } from 'node:path';
import { isOrtqError } from '../../errors.js';
import { discoverInputs } from '../../io/discover.js';
import { cachedDigests } from '../../predict/fingerprint-cache.js';
import { ortqHome } from '../../config.js';
import type { ModelRepository } from '../../repo/model-repository.js';
import { ortqVersion } from '../../version.js';
import { sha256File } from '../../io/fingerprint.js';
import { isCommandTrainer, type InputFingerprint, type ModelRef, type TrainerIdentity, type TrainJob } from './types.js';
import { OrtqError } from '../../errors.js';

/** Where a train job's runs live: `$ORTQ_HOME/train-runs/<job>/run=<runId>/` (the run core's layout). */
export function trainOutputRoot(job: Pick<TrainJob, 'name'>): string {
  return join(ortqHome(), 'train-runs', job.name);
}

/** Each input file of a data source with its size and digest (xxh3-64, cached by path, size and mtime). */
export async function fingerprints(path: string, format?: TrainJob['data']['train']['format']): Promise<InputFingerprint[]> {
  const files = await discoverInputs(path, { format });
  const digests = await cachedDigests(files.map((f) => f.path));
  return files.map((f, i) => ({ path: f.path, format: f.format, size: f.size, digest: digests[i] }));
}

/** The trainer identity: a built-in's name (and ortq's version), or the command plus the sha256 of each of its files. */
export async function trainerIdentity(job: TrainJob): Promise<TrainerIdentity> {
  if (!isCommandTrainer(job.trainer)) return { kind: 'builtin', name: job.trainer.builtin, ortq: ortqVersion() };
  const files: Array<{ path: string; sha256: string }> = [];
  for (const path of job.trainer.files) {
    try {
      files.push({ path, sha256: await sha256File(path) });
    } catch (err) {
      if (isOrtqError(err, 'ORTQ_INPUT_NOT_FOUND')) throw new OrtqError('ORTQ_JOB_INVALID', `trainer.files: ${path} does not exist`, { path });
      throw err;
    }
  }
  return { kind: 'command', command: job.trainer.command, files };
}

/** The champion as it stands now, or null when the spec names none or it does not exist yet. */
export async function currentChampion(job: TrainJob, repo: ModelRepository): Promise<ModelRef | null> {
  if (!job.champion) return null;
  try {
    const r = await repo.resolve(job.champion);
    return { tag: r.tag, version: r.version, digest: r.digest };
  } catch (err) {
    if (isOrtqError(err, 'ORTQ_MODEL_NOT_FOUND')) return null;
    throw err;
  }
}
