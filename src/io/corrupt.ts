import { OrtqError, PERMISSION_ERRNOS } from '../errors.js';

/**
 * Turns whatever a decoder threw into ORTQ_INPUT_CORRUPT naming the file
 * (OrtqErrors pass through; a missing file is ORTQ_INPUT_NOT_FOUND, an
 * unreadable one ORTQ_PERMISSION_DENIED).
 */
export function asInputError(path: string, format: string, err: unknown): OrtqError {
  if (err instanceof OrtqError) return err;
  if (isMissingFile(err)) return inputNotFound(path, err);
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string' && PERMISSION_ERRNOS.has(code)) {
    return new OrtqError('ORTQ_PERMISSION_DENIED', `cannot read input file ${path}: permission denied (${code})`, { path, errno: code }, { cause: err });
  }
  const what = err instanceof Error ? err.message : String(err);
  return new OrtqError(
    'ORTQ_INPUT_CORRUPT',
    `cannot decode ${format} file ${path}: ${what.length > 300 ? what.slice(0, 300) + '…' : what}`,
    { path, format },
    { cause: err },
  );
}

export function isMissingFile(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

export function inputNotFound(path: string, cause: unknown): OrtqError {
  return new OrtqError('ORTQ_INPUT_NOT_FOUND', `input file ${path} does not exist`, { path }, { cause });
}
