/**
 * The one error registry. Every error ortq raises on purpose carries a stable
 * `ORTQ_*` code from this table; codes are never renamed or reused.
 * `exit` is the CLI exit status, `retryable` tells queue workers whether a
 * failure is transient (retry with backoff) or permanent (fail at once).
 * docs/errors.md documents each code (a test checks that).
 */
export const ERRORS = {
  ORTQ_USAGE: { exit: 2, retryable: false, summary: 'bad command-line usage' },
  ORTQ_INVALID_NAME: { exit: 2, retryable: false, summary: 'a model name, version, alias or tag is malformed' },
  ORTQ_CONFIG_INVALID: { exit: 2, retryable: false, summary: 'a config file or environment override is invalid' },
  ORTQ_JOB_INVALID: { exit: 2, retryable: false, summary: 'a job spec fails validation' },
  ORTQ_MODEL_NOT_FOUND: { exit: 1, retryable: false, summary: 'no model matches the tag' },
  ORTQ_MODEL_EXISTS: { exit: 1, retryable: false, summary: 'the model version already exists' },
  ORTQ_MODEL_INVALID: { exit: 1, retryable: false, summary: 'the file is not a loadable, safe ONNX model' },
  ORTQ_MODEL_CORRUPT: { exit: 1, retryable: false, summary: 'a stored file does not match its recorded digest' },
  ORTQ_MODEL_UNTRUSTED: { exit: 1, retryable: false, summary: 'the trust policy refuses an unsigned or badly signed model' },
  ORTQ_MODEL_IN_USE: { exit: 1, retryable: false, summary: 'the version is referenced by an alias' },
  ORTQ_ARCHIVE_INVALID: { exit: 1, retryable: false, summary: 'a model archive is malformed or clashes with the repository' },
  ORTQ_PROFILE_INVALID: { exit: 1, retryable: false, summary: 'a reference profile (profile.json) is malformed or does not fit the data' },
  ORTQ_INPUT_NOT_FOUND: { exit: 1, retryable: false, summary: 'no input file matches the job input path' },
  ORTQ_INPUT_CORRUPT: { exit: 1, retryable: false, summary: 'an input file cannot be decoded' },
  ORTQ_SCHEMA_MISMATCH: { exit: 1, retryable: false, summary: 'input columns do not fit the model inputs' },
  ORTQ_NULL_VALUE: { exit: 1, retryable: false, summary: 'a feature holds null or NaN while nulls: error' },
  ORTQ_TRAIN_DATA_INVALID: { exit: 1, retryable: false, summary: 'training or evaluation data cannot train the model (missing label, a single class, missing values)' },
  ORTQ_EXECUTION_PROVIDER_UNAVAILABLE: { exit: 1, retryable: false, summary: 'the configured onnxruntime execution provider (e.g. cuda) is not installed or cannot start' },
  ORTQ_INFERENCE_FAILED: { exit: 1, retryable: false, summary: 'onnxruntime failed while scoring a batch' },
  ORTQ_OUTPUT_FAILED: { exit: 1, retryable: true, summary: 'writing results or run files failed (I/O: disk full, read-only file system); details.errno keeps the system code' },
  ORTQ_PERMISSION_DENIED: { exit: 1, retryable: false, summary: 'the file system refused access to a path (EACCES, EPERM); the message names the path' },
  ORTQ_RUN_NOT_FOUND: { exit: 1, retryable: false, summary: 'no run with that id' },
  ORTQ_RUN_IN_PROGRESS: { exit: 1, retryable: true, summary: 'the queued run is still being processed' },
  ORTQ_RUN_CANCELLED: { exit: 1, retryable: false, summary: 'the queued run was cancelled' },
  ORTQ_RUN_FAILED: { exit: 1, retryable: false, summary: 'a queued run finished with failed shards' },
  ORTQ_TRAIN_FAILED: { exit: 1, retryable: false, summary: 'the trainer failed: non-zero exit, no model, timeout or oversized output' },
  ORTQ_REDIS_UNAVAILABLE: { exit: 1, retryable: true, summary: 'Redis cannot be reached' },
  ORTQ_REDIS_AUTH: { exit: 1, retryable: false, summary: 'Redis refused the credentials (wrong password or ACL user)' },
  ORTQ_RUN_DAMAGED: { exit: 1, retryable: false, summary: 'files of a finished run are missing or changed; the damaged steps are redone' },
  ORTQ_RUN_LOCKED: { exit: 1, retryable: true, summary: 'another process is running this run right now' },
  ORTQ_INPUT_CHANGED: { exit: 1, retryable: false, summary: 'an input of the run changed since it was planned; run the job again as a new run' },
  ORTQ_WAIT_TIMEOUT: { exit: 1, retryable: true, summary: 'a queued run did not end within --timeout; it goes on in the queue' },
  ORTQ_TRIGGER_SUPPRESSED: { exit: 1, retryable: false, summary: 'a retraining firing was suppressed by a guard (a training of the model queued or running, cooldown, daily cap); recorded with its reason' },
  // not transient: retrying a bug gives the same bug, five times over
  ORTQ_INTERNAL: { exit: 1, retryable: false, summary: 'an unexpected internal error' },
} as const satisfies Record<string, { exit: number; retryable: boolean; summary: string }>;

export type ErrorCode = keyof typeof ERRORS;

export class OrtqError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;
  readonly retryable: boolean;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OrtqError';
    this.code = code;
    this.exitCode = ERRORS[code].exit;
    this.retryable = ERRORS[code].retryable;
    this.details = details;
  }

  toJSON(): SerializedError {
    return serializeError(this);
  }
}

/** An error as data: what crosses threads, processes and Redis. */
export interface SerializedError {
  code: string;
  message: string;
  details?: Record<string, unknown>;
  /** whether a queue may retry it; informative, the code decides on the way back */
  retryable?: boolean;
  cause?: SerializedError;
}

/** Any thrown value as data; causes are kept (three levels deep). */
export function serializeError(err: unknown, depth = 0): SerializedError {
  const e = toOrtqError(err);
  const out: SerializedError = { code: e.code, message: e.message, retryable: e.retryable, ...(e.details ? { details: e.details } : {}) };
  const cause = (e as { cause?: unknown }).cause;
  if (cause !== undefined && cause !== err && depth < 3) {
    out.cause = cause instanceof OrtqError ? serializeError(cause, depth + 1) : { code: 'ORTQ_INTERNAL', message: cause instanceof Error ? cause.message : String(cause) };
  }
  return out;
}

export function isOrtqError(err: unknown, code?: ErrorCode): err is OrtqError {
  return err instanceof OrtqError && (code === undefined || err.code === code);
}

/** Wraps anything thrown into an OrtqError, keeping OrtqErrors as they are. */
export function toOrtqError(err: unknown, fallback: ErrorCode = 'ORTQ_INTERNAL'): OrtqError {
  if (err instanceof OrtqError) return err;
  const sys = fromSystemError(err);
  if (sys) return sys;
  const message = err instanceof Error ? err.message : String(err);
  return new OrtqError(fallback, message, undefined, { cause: err });
}

/** errno codes of a write the file system cannot take: kept as ORTQ_OUTPUT_FAILED with the code. */
const WRITE_ERRNOS = new Set(['ENOSPC', 'EROFS', 'EDQUOT', 'EFBIG']);
export const PERMISSION_ERRNOS = new Set(['EACCES', 'EPERM']);

/**
 * A Node system error (EACCES, ENOSPC, EROFS, …) as a coded error whose
 * message and `details.errno` keep the system code; null for anything else.
 */
export function fromSystemError(err: unknown): OrtqError | null {
  if (!(err instanceof Error)) return null;
  const e = err as NodeJS.ErrnoException;
  if (typeof e.code !== 'string' || typeof e.syscall !== 'string') return null;
  const details = { errno: e.code, syscall: e.syscall, ...(e.path ? { path: e.path } : {}) };
  if (PERMISSION_ERRNOS.has(e.code)) return new OrtqError('ORTQ_PERMISSION_DENIED', e.message, details, { cause: err });
  if (WRITE_ERRNOS.has(e.code)) return new OrtqError('ORTQ_OUTPUT_FAILED', e.message, details, { cause: err });
  return null;
}

/** Rebuilds an OrtqError from its serialized form (crossing a thread, process or Redis). */
export function fromSerialized(obj: { code?: string; message?: string; details?: Record<string, unknown>; cause?: SerializedError }): OrtqError {
  const code = (obj.code && obj.code in ERRORS ? obj.code : 'ORTQ_INTERNAL') as ErrorCode;
  const cause = obj.cause ? fromSerialized(obj.cause) : undefined;
  return new OrtqError(code, obj.message ?? 'unknown error', obj.details, cause ? { cause } : undefined);
}

/** The text form of an error where only a string can travel (a BullMQ failedReason): its JSON. */
export function errorToText(err: unknown): string {
  return JSON.stringify(serializeError(err));
}

/** Reads errorToText's output back; any other text (BullMQ's own reasons) is ORTQ_INTERNAL with that message. */
export function errorFromText(text: string | null | undefined): OrtqError {
  if (text && text.startsWith('{')) {
    try {
      const obj = JSON.parse(text) as SerializedError;
      if (obj && typeof obj.code === 'string' && typeof obj.message === 'string') return fromSerialized(obj);
    } catch {
      // not ours
    }
  }
  return new OrtqError('ORTQ_INTERNAL', text || 'unknown failure');
}
