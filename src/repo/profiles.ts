/**
 * A version's reference profile (profile.json, see src/monitor/profile.ts).
 *
 * How it stays covered by the version's digests:
 * - saved with the version (`save(…, { profile })`): profile.json is built in
 *   the temp folder with the other files, so it is in `manifest.files` from
 *   the start;
 * - attached later (`attachProfile`): versions are immutable in what they
 *   score with (model.onnx, side files, attachments never change), and a
 *   profile is added once. profile.json is written atomically first (temp,
 *   fsync, rename), then manifest.json is rewritten atomically with the new
 *   `files["profile.json"]` digest and `profile` entry, under the model's
 *   lock. A crash in between leaves an unlisted profile.json that loading
 *   ignores (and `verify` reports); attaching again finishes the job.
 * - A signed version refuses a later profile: the signature covers the
 *   manifest bytes, which would change. Profile before signing.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { OrtqError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { PROFILE_FILE, validateProfile, type ReferenceProfile } from '../monitor/profile.js';
import { digestBytes, prefixed } from './digests.js';
import { MANIFEST_FILE, SIGNATURE_FILE, type ModelManifest } from './manifest.js';

/** The profile.json bytes ortq writes: pretty JSON with a final newline. */
export function profileBytes(profile: ReferenceProfile): Uint8Array {
  return Buffer.from(JSON.stringify(profile, null, 2) + '\n', 'utf8');
}

export interface StoredProfile {
  profile: ReferenceProfile;
  /** "sha256:<hex>" of profile.json, recorded in drift reports */
  digest: string;
}

/** Reads and checks a version's profile against its recorded digest; null when the version has none. */
export async function readVersionProfile(dir: string, manifest: ModelManifest, tag: string): Promise<StoredProfile | null> {
  const want = manifest.files?.[PROFILE_FILE];
  if (!manifest.profile || !want) return null;
  let bytes: Buffer;
  try {
    bytes = await readFile(join(dir, PROFILE_FILE));
  } catch (err) {
    throw new OrtqError('ORTQ_MODEL_CORRUPT', `${tag}: ${PROFILE_FILE} is missing (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { tag, file: PROFILE_FILE });
  }
  const got = digestBytes(bytes);
  if (got.sha256 !== want.sha256 || got.size !== want.size) {
    throw new OrtqError('ORTQ_MODEL_CORRUPT', `${tag}: ${PROFILE_FILE} does not match its recorded sha256`, { tag, file: PROFILE_FILE });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new OrtqError('ORTQ_PROFILE_INVALID', `${tag}: ${PROFILE_FILE} is not valid JSON: ${(err as Error).message}`, { tag, file: PROFILE_FILE });
  }
  return { profile: validateProfile(parsed, `${tag}/${PROFILE_FILE}`), digest: prefixed(got.sha256) };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

/**
 * Adds profile.json to a stored version (call under the model's lock).
 * Returns the new manifest. See the module comment for the crash story.
 */
export async function attachVersionProfile(dir: string, manifest: ModelManifest, tag: string, profile: ReferenceProfile, at = new Date()): Promise<{ manifest: ModelManifest; digest: string }> {
  validateProfile(profile, `profile for ${tag}`);
  if (manifest.profile || manifest.files?.[PROFILE_FILE]) {
    throw new OrtqError('ORTQ_MODEL_EXISTS', `${tag} already has a profile; a version's profile is set once — save a new version to profile it again`, { tag });
  }
  if (await exists(join(dir, SIGNATURE_FILE))) {
    throw new OrtqError('ORTQ_USAGE', `${tag} is signed: a profile would change its manifest and void the signature; profile a version before signing it`, { tag });
  }
  const bytes = profileBytes(profile);
  const d = digestBytes(bytes);
  await writeFileAtomic(join(dir, PROFILE_FILE), bytes);
  const next: ModelManifest = {
    ...manifest,
    size: manifest.size + d.size,
    files: { ...manifest.files, [PROFILE_FILE]: d },
    profile: { file: PROFILE_FILE, attachedAt: at.toISOString() },
  };
  await writeFileAtomic(join(dir, MANIFEST_FILE), JSON.stringify(next, null, 2) + '\n');
  return { manifest: next, digest: prefixed(d.sha256) };
}
