import { stat } from 'node:fs/promises';
import { digestAlgorithm, recordedDigest, shortDigest } from '../io/digest.js';
import { digestFile } from '../io/fingerprint.js';
import { OrtqError } from '../errors.js';
import type { RunManifestBase, StepFile, StepReceipt } from '../kinds/types.js';
import { runLayout } from './layout.js';
import { readRunManifest } from './store.js';
import type { VerifiedFiles } from './verified-files.js';

/** A file of a run that is not what its receipt or manifest recorded. */
export interface FileProblem {
  path: string;
  /** `digest`: the bytes' digest differs from the recorded one (`expected`, `found`: `<algorithm>:<hex>`) */
  problem: 'missing' | 'size' | 'digest' | 'rows';
  expected?: number | string;
  found?: number | string;
}

/** steps checked at once by damagedSteps */
const STEP_CHECKS = 4;

/** A file as a receipt or a manifest records it: `digest`, or a format-1 bare hex `sha256`. */
type RecordedFile = Pick<StepFile, 'path' | 'bytes'> & { digest?: string | null; sha256?: string | null };

/**
 * Checks files against their records: existence and size always, the
 * digest when `hash`, with the algorithm the record names (format-1 records
 * hold sha256 and are checked with sha256). A file in `verified` whose
 * identity is the one its writer vouched for is not read again.
 */
export async function checkFiles(
  runDir: string, files: readonly RecordedFile[], opts: { hash: boolean; verified?: VerifiedFiles },
): Promise<FileProblem[]> {
  const problems: FileProblem[] = [];
  for (const f of files) {
    const full = runLayout.file(runDir, f.path);
    const st = await stat(full, { bigint: true }).catch(() => null);
    if (!st) {
      problems.push({ path: f.path, problem: 'missing' });
      continue;
    }
    if (Number(st.size) !== f.bytes) {
      problems.push({ path: f.path, problem: 'size', expected: f.bytes, found: Number(st.size) });
      continue;
    }
    const recorded = opts.hash ? recordedDigest(f) : null;
    if (recorded) {
      const algorithm = digestAlgorithm(recorded);
      const found = opts.verified?.digestOf(full, st, algorithm) ?? await digestFile(full, algorithm);
      if (found !== recorded) problems.push({ path: f.path, problem: 'digest', expected: recorded, found });
    }
  }
  return problems;
}

/**
 * Steps whose receipt is missing, does not add up, or whose files are missing
 * or changed. `expected` lists every step id the plan has. Steps in
 * `hashedHere` are checked without reading their files again (existence,
 * size and rows only): the caller wrote them and hashed the bytes as it wrote.
 * Files in `verified` are not read again while they are the file their
 * writer vouched for (checkFiles).
 */
export async function damagedSteps(
  runDir: string, expected: readonly string[], receipts: ReadonlyMap<string, StepReceipt>,
  opts: { hash: boolean; hashedHere?: ReadonlySet<string>; verified?: VerifiedFiles },
): Promise<Map<string, FileProblem[]>> {
  const steps = expected.filter((s) => receipts.has(s));
  const found: FileProblem[][] = new Array(steps.length);
  // a few steps at once: one step's opens and reads (libuv's pool) overlap another's hashing,
  // which matters for runs of many small shards (a queued run of 100 shards has 100 parts)
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(STEP_CHECKS, steps.length) }, async () => {
    while (next < steps.length) {
      const i = next++;
      const r = receipts.get(steps[i])!;
      const problems = await checkFiles(runDir, r.files, { hash: opts.hash && !opts.hashedHere?.has(steps[i]), verified: opts.verified });
      const fileRows = r.files.reduce((s, f) => s + (f.rows ?? 0), 0);
      if (r.files.some((f) => f.rows !== undefined) && fileRows !== r.rows.read - r.rows.skipped) {
        problems.push({ path: r.files.map((f) => f.path).join(','), problem: 'rows', expected: r.rows.read - r.rows.skipped, found: fileRows });
      }
      found[i] = problems;
    }
  }));
  // in the plan's order, whatever order the checks finished in
  const out = new Map<string, FileProblem[]>();
  steps.forEach((step, i) => { if (found[i].length) out.set(step, found[i]); });
  return out;
}

export function describeProblems(problems: readonly FileProblem[]): string {
  return problems.map((p) => (p.problem === 'missing' ? `${p.path} is missing`
    : p.problem === 'size' ? `${p.path} has ${p.found} bytes, ${p.expected} recorded`
      : p.problem === 'rows' ? `${p.path} hold ${p.found} rows, ${p.expected} expected (read minus skipped)`
        : `${p.path} has ${shortDigest(String(p.found))}, ${shortDigest(String(p.expected))} recorded`)).join('; ');
}

/** The ORTQ_RUN_DAMAGED error for a run, naming every damaged file. */
export function runDamaged(runId: string, runDir: string, damaged: ReadonlyMap<string, FileProblem[]>): OrtqError {
  const problems = [...damaged.values()].flat();
  return new OrtqError('ORTQ_RUN_DAMAGED', `run ${runId} in ${runDir}: ${describeProblems(problems)}`, {
    runId, runDir, steps: [...damaged.keys()], files: problems.map((p) => p.path), problems,
  });
}

export interface VerifyReport {
  runId: string;
  runDir: string;
  files: number;
  bytes: number;
  ok: boolean;
  problems: FileProblem[];
}

/**
 * `ortq runs verify`: re-hashes every file the manifest names. A run without
 * a manifest is not finished, so there is nothing to verify (ORTQ_RUN_NOT_FOUND).
 */
export async function verifyRunDir(runDir: string): Promise<VerifyReport> {
  const m = await readRunManifest<RunManifestBase>(runDir);
  if (!m) throw new OrtqError('ORTQ_RUN_NOT_FOUND', `${runDir} holds no finished run (no ${runLayout.manifestFile('.')})`, { runDir });
  const problems = await checkFiles(runDir, m.outputs, { hash: true });
  return { runId: m.runId, runDir, files: m.outputs.length, bytes: m.outputs.reduce((s, o) => s + o.bytes, 0), ok: problems.length === 0, problems };
}
