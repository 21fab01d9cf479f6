import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { OrtqError } from '../errors.js';

/**
 * The on-disk layout of runs: the only module that knows it. Under a job's
 * output root:
 *   run=<runId>/_plan.json            the plan, written before any step runs
 *   run=<runId>/<files of the steps>  e.g. part-00042.parquet, renamed into place
 *   run=<runId>/_shards/<step>.json   one receipt per finished step
 *   run=<runId>/run.json              the manifest, written last (verified first)
 *   run=<runId>/_failed.json          a failed run's manifest (never run.json)
 *   _latest.json                      pointer to the newest finished run
 *   .run=<runId>.lock                 the run's lock (holder pid, host, heartbeat)
 *   .run=<runId>.next-<token>/        a --force rebuild, swapped in once verified
 *   .run=<runId>.prev-<token>/        the replaced run, during the swap only
 * Names starting with '.' are never runs: a kill can leave them, and the
 * next holder of the lock removes them.
 */
export const PLAN_FILE = '_plan.json';
export const MANIFEST_FILE = 'run.json';
export const FAILED_FILE = '_failed.json';
export const LATEST_FILE = '_latest.json';
export const RECEIPTS_DIR = '_shards';

/** A step id or a file name inside a run directory: one path segment, no dot first. */
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.=-]{0,127}$/;

function segment(name: string, what: string): string {
  if (!SEGMENT.test(name) || name.includes('..')) throw new OrtqError('ORTQ_INTERNAL', `invalid ${what} "${name}" in a run directory`);
  return name;
}

export const runLayout = {
  dirName: (runId: string) => `run=${segment(runId, 'run id')}`,
  runDir: (outputRoot: string, runId: string) => join(outputRoot, runLayout.dirName(runId)),
  /** the output root of a run directory (or of its staging directory) */
  outputRootOf: (runDir: string) => dirname(runDir),
  /** the final `run=<id>` directory of a run built in `runDir` (itself, or the dir a staging dir replaces) */
  homeOf: (runDir: string, runId: string) => join(dirname(runDir), runLayout.dirName(runId)),
  planFile: (runDir: string) => join(runDir, PLAN_FILE),
  manifestFile: (runDir: string) => join(runDir, MANIFEST_FILE),
  failedFile: (runDir: string) => join(runDir, FAILED_FILE),
  receiptsDir: (runDir: string) => join(runDir, RECEIPTS_DIR),
  receiptFile: (runDir: string, step: string) => join(runDir, RECEIPTS_DIR, `${segment(step, 'step id')}.json`),
  /** a file a step writes, e.g. `part-00042.parquet` */
  file: (runDir: string, name: string) => join(runDir, segment(name, 'file name')),
  partName: (step: string, ext: string) => `part-${segment(step, 'step id')}.${ext}`,
  latestFile: (outputRoot: string) => join(outputRoot, LATEST_FILE),
  lockFile: (outputRoot: string, runId: string) => join(outputRoot, `.${runLayout.dirName(runId)}.lock`),
  /** a fresh hidden directory to build a --force rerun in */
  stagingDir: (outputRoot: string, runId: string) => join(outputRoot, `.${runLayout.dirName(runId)}.next-${process.pid}-${randomBytes(4).toString('hex')}`),
  trashDir: (outputRoot: string, runId: string) => join(outputRoot, `.${runLayout.dirName(runId)}.prev-${process.pid}-${randomBytes(4).toString('hex')}`),
  isStaging: (runDir: string) => basename(runDir).startsWith('.'),
  /** hidden leftovers of a run (staging and trash directories) */
  isLeftoverOf: (name: string, runId: string) => name.startsWith(`.${runLayout.dirName(runId)}.next-`) || name.startsWith(`.${runLayout.dirName(runId)}.prev-`),
  isStagingOf: (name: string, runId: string) => name.startsWith(`.${runLayout.dirName(runId)}.next-`),
  isTrashOf: (name: string, runId: string) => name.startsWith(`.${runLayout.dirName(runId)}.prev-`),
  /** temp files of atomic writes (src/fs/atomic.ts, part writers) */
  isTemp: (name: string) => name.startsWith('.') && name.includes('.tmp-'),
} as const;
