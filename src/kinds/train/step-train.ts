import { copyFile, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Logger } from 'pino';
import { writeFileAtomic } from '../../fs/atomic.js';
import { digestFile } from '../../repo/digests.js';
import type { LoadedModel } from '../../repo/model-repository.js';
import { fitInThread } from './builtin-runner.js';
import { killLeftoverTrainer, runCommandTrainer } from './command-trainer.js';
import type { PreparedData } from './data.js';
import { CANDIDATE_DIR, CANDIDATE_MODEL } from './run-files.js';
import { layoutTrainDir } from './train-dir.js';
import { isCommandTrainer, type TrainPlan } from './types.js';

export interface TrainReceipt {
  candidate: { file: string; sha256: string; size: number };
  /** class order the trainer reports (built-ins) */
  classes: Array<string | number>;
  /** what a built-in trainer says about its fit */
  info: Record<string, unknown>;
  /** output/metrics.json of a command trainer: recorded, never used to decide */
  reportedMetrics: unknown;
  /** attachments the trainer wrote (output/files/*), relative to the run dir */
  files: string[];
  /** the tail of a command trainer's stdout and stderr */
  outputTail?: string;
  exitCode?: number | null;
  rows: { train: number; eval: number };
  attempt: number;
  durationMs: number;
}

const ATTEMPTS_DIR = 'attempts';

/** Numbers of earlier attempt folders; a trainer a killed ortq left running in one is killed first. */
async function clearAttempts(runDir: string): Promise<number> {
  const dir = join(runDir, ATTEMPTS_DIR);
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const n of names) await killLeftoverTrainer(join(dir, n));
  await rm(dir, { recursive: true, force: true });
  return names.reduce((m, n) => Math.max(m, Number(n) || 0), 0);
}

/**
 * Trains the candidate and commits it as candidate/model.onnx (+ files/):
 * built to a temp folder, renamed into place, so a kill never leaves half a
 * candidate that looks done. Built-ins fit in a worker thread; a command
 * trainer runs in a fresh ORTQ_TRAIN_DIR per attempt.
 */
export async function trainCandidate(plan: TrainPlan, args: {
  data: PreparedData;
  champion: LoadedModel | null;
  logger?: Logger;
  onProgress?: (fraction: number) => void;
}): Promise<TrainReceipt> {
  const { data } = args;
  const started = Date.now();
  const attempt = (await clearAttempts(plan.runDir)) + 1;
  const staging = join(plan.runDir, `.${CANDIDATE_DIR}.tmp`);
  await rm(staging, { recursive: true, force: true });
  await rm(join(plan.runDir, CANDIDATE_DIR), { recursive: true, force: true });
  await mkdir(join(staging, 'files'), { recursive: true });
  const rows = { train: data.train.X.rows, eval: data.eval.X.rows };
  let receipt: Omit<TrainReceipt, 'candidate' | 'durationMs'>;
  const job = plan.job;
  if (!isCommandTrainer(job.trainer)) {
    const result = await fitInThread(job.trainer.builtin, {
      task: job.task,
      X: data.train.X,
      target: { y: data.train.y, classes: data.classes },
      hyperparameters: job.hyperparameters,
      seed: job.seed,
      inputName: data.inputName,
      threads: job.trainer.threads ?? 1,
      onProgress: args.onProgress,
    });
    await writeFileAtomic(join(staging, 'model.onnx'), result.onnx);
    receipt = { classes: result.classes, info: result.info, reportedMetrics: null, files: [], rows, attempt };
  } else {
    const dir = join(plan.runDir, ATTEMPTS_DIR, String(attempt));
    await layoutTrainDir(dir, plan, data, args.champion);
    const out = await runCommandTrainer({
      dir, trainer: job.trainer, seed: job.seed,
      logger: args.logger?.child({ trainer: basename(job.trainer.command[0]) }),
      onHeartbeat: () => args.onProgress?.(0),
    });
    await copyFile(out.modelFile, join(staging, 'model.onnx'));
    const files: string[] = [];
    for (const f of out.files) {
      await copyFile(f, join(staging, 'files', basename(f)));
      files.push(join(CANDIDATE_DIR, 'files', basename(f)));
    }
    receipt = { classes: data.classes, info: {}, reportedMetrics: out.reportedMetrics, files, outputTail: out.tail, exitCode: out.exitCode, rows, attempt };
    await rm(dir, { recursive: true, force: true });
  }
  await rename(staging, join(plan.runDir, CANDIDATE_DIR));
  const d = await digestFile(join(plan.runDir, CANDIDATE_MODEL));
  return { ...receipt, candidate: { file: CANDIDATE_MODEL, sha256: d.sha256, size: d.size }, durationMs: Date.now() - started };
}
