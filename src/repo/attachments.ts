import { open } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { OrtqError } from '../errors.js';

const PICKLE_EXTENSIONS = new Set(['.pkl', '.pickle', '.joblib', '.pck', '.pcl']);
const SAFE_FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Pickle protocol 2–5 files open with PROTO (0x80) and the protocol number. */
export function looksLikePickle(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x80 && head[1] >= 2 && head[1] <= 5;
}

/**
 * Checks an attachment before it is stored: a plain file name, and never a
 * pickle (loading one runs arbitrary code), by extension or by magic bytes.
 * Returns the name it is stored under.
 */
export async function checkAttachment(file: string): Promise<string> {
  const name = basename(file);
  if (!SAFE_FILE_NAME.test(name) || name.length > 255) {
    throw new OrtqError('ORTQ_USAGE', `attachment name "${name}" must match [A-Za-z0-9][A-Za-z0-9._-]*`, { file });
  }
  if (PICKLE_EXTENSIONS.has(extname(name).toLowerCase())) {
    throw new OrtqError('ORTQ_MODEL_INVALID', `refusing pickle attachment ${file}: loading a pickle runs arbitrary code; store JSON, CSV or text instead`, { file });
  }
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    throw new OrtqError('ORTQ_USAGE', `cannot read attachment ${file}: ${(err as Error).message}`, { file });
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new OrtqError('ORTQ_USAGE', `attachment ${file} is not a regular file`, { file });
    const head = new Uint8Array(2);
    await fh.read(head, 0, 2, 0);
    if (looksLikePickle(head)) {
      throw new OrtqError('ORTQ_MODEL_INVALID', `refusing attachment ${file}: its content is a Python pickle`, { file });
    }
  } finally {
    await fh.close();
  }
  return name;
}
