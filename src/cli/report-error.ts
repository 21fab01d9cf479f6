import { debugEnabled } from '../config.js';
import { OrtqError, toOrtqError } from '../errors.js';

/**
 * The one place that turns an error into a one-line message on stderr and an
 * exit status. Nothing else in ortq calls process.exit.
 */
export function reportError(err: unknown): number {
  const e: OrtqError = toOrtqError(err);
  process.stderr.write(`error ${e.code}: ${e.message}\n`);
  if (e.code === 'ORTQ_INTERNAL' && debugEnabled() && err instanceof Error) {
    process.stderr.write(`${err.stack}\n`);
  }
  return e.exitCode;
}
