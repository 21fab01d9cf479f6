import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { OrtqError } from '../errors.js';
import { sha256Hex } from './digests.js';

/** Stored as signature.json in the version folder. */
export interface SignatureFile {
  algorithm: 'ed25519';
  /** First 16 hex digits of the sha256 of the public key (SPKI DER). */
  keyId: string;
  /** sha256 of the manifest.json bytes that were signed; the manifest holds every file's digest. */
  manifestSha256: string;
  /** base64 Ed25519 signature over signedPayload(manifestSha256). */
  signature: string;
  signedAt: string;
}

/** A domain-separated message, so an ortq signature can never be replayed as a signature over something else. */
function signedPayload(manifestSha256: string): Buffer {
  return Buffer.from(`ortq-manifest-signature-v1 sha256:${manifestSha256}`, 'utf8');
}

export function keyIdOf(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return sha256Hex(pub.export({ type: 'spki', format: 'der' })).slice(0, 16);
}

/** Reads a PEM text or a path to a PEM file (relative to the working directory). */
function pemOf(keyOrPath: string): string {
  if (keyOrPath.includes('-----BEGIN')) return keyOrPath;
  try {
    return readFileSync(resolve(keyOrPath), 'utf8');
  } catch (err) {
    throw new OrtqError('ORTQ_CONFIG_INVALID', `cannot read key ${keyOrPath}: ${(err as Error).message}`, { key: keyOrPath });
  }
}

/** Parses PEM text or a PEM file as a `kind` key and insists on Ed25519; `label` names the key in errors. */
function loadEd25519Key(keyOrPath: string, kind: 'private' | 'public', code: 'ORTQ_USAGE' | 'ORTQ_CONFIG_INVALID', label: string): KeyObject {
  let key: KeyObject;
  try {
    const pem = pemOf(keyOrPath);
    key = kind === 'private' ? createPrivateKey(pem) : createPublicKey(pem);
  } catch (err) {
    if (err instanceof OrtqError) throw err;
    throw new OrtqError(code, `${label} is not a PEM ${kind} key: ${(err as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new OrtqError(code, `${label} is a ${key.asymmetricKeyType} key; ortq signs and verifies with Ed25519`);
  return key;
}

/** The signing key given on the command line (`--key`); inline PEM text never appears in errors. */
export function loadPrivateKey(keyOrPath: string): KeyObject {
  const label = keyOrPath.includes('-----BEGIN') ? 'the --key PEM text' : keyOrPath;
  return loadEd25519Key(keyOrPath, 'private', 'ORTQ_USAGE', label);
}

/** A key from repository.trust.publicKeys; PEM text there is cut short in errors. */
export function loadPublicKey(keyOrPath: string): KeyObject {
  return loadEd25519Key(keyOrPath, 'public', 'ORTQ_CONFIG_INVALID', `trusted key ${keyOrPath.slice(0, 40)}`);
}

export function signManifest(manifestBytes: Uint8Array, privateKey: KeyObject, now = new Date()): SignatureFile {
  const manifestSha256 = sha256Hex(manifestBytes);
  return {
    algorithm: 'ed25519',
    keyId: keyIdOf(privateKey),
    manifestSha256,
    signature: sign(null, signedPayload(manifestSha256), privateKey).toString('base64'),
    signedAt: now.toISOString(),
  };
}

/** Checks a signature against the manifest bytes and the trusted keys; returns why it fails, or undefined when it holds. */
export function signatureProblem(manifestBytes: Uint8Array, sig: SignatureFile | undefined, trusted: KeyObject[]): string | undefined {
  if (!sig) return 'it is not signed';
  if (sig.algorithm !== 'ed25519' || typeof sig.signature !== 'string') return 'its signature file is malformed';
  const manifestSha256 = sha256Hex(manifestBytes);
  if (sig.manifestSha256 !== manifestSha256) return 'its manifest changed after it was signed';
  const key = trusted.find((k) => keyIdOf(k) === sig.keyId);
  if (!key) return `it is signed by key ${sig.keyId}, which is not among the trusted keys`;
  let ok = false;
  try {
    ok = verify(null, signedPayload(manifestSha256), key, Buffer.from(sig.signature, 'base64'));
  } catch {
    ok = false;
  }
  return ok ? undefined : `its signature does not verify with key ${sig.keyId}`;
}

/** Writes a new Ed25519 key pair: `<dir>/ortq-signing.pem` (private, mode 0600) and `<dir>/ortq-signing.pub.pem`. */
export async function generateSigningKeys(dir: string): Promise<{ privateKey: string; publicKey: string; keyId: string }> {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  await mkdir(dir, { recursive: true });
  const priv = join(dir, 'ortq-signing.pem');
  const pub = join(dir, 'ortq-signing.pub.pem');
  try {
    await writeFile(priv, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new OrtqError('ORTQ_USAGE', `${priv} already exists; keys are never overwritten`);
    throw err;
  }
  await writeFile(pub, publicKey.export({ type: 'spki', format: 'pem' }) as string, { flag: 'wx' });
  return { privateKey: priv, publicKey: pub, keyId: keyIdOf(publicKey) };
}
