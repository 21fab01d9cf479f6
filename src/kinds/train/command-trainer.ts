import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { passthroughEnv } from '../../config.js';
import { OrtqError } from '../../errors.js';
import { durationMs } from './duration.js';
import { outputBytes, outputFiles, readSmallText } from './output-dir.js';
import { OutputTail } from './output-tail.js';
import type { CommandTrainerSpec } from './types.js';

export interface CommandOutcome {
  modelFile: string;
  /** output/metrics.json as the trainer wrote it: recorded, never used to decide */
  reportedMetrics: unknown;
  files: string[];
  exitCode: number | null;
  durationMs: number;
  outputBytes: number;
  tail: string;
}

const PID_FILE = '.trainer.pid';

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone already
  }
}

/**
 * Kills what a killed ortq left running in `dir`: a trainer whose process
 * group is still alive. The pid is only trusted when that process's
 * environment names this very ORTQ_TRAIN_DIR (so a reused pid is never hit).
 */
export async function killLeftoverTrainer(dir: string): Promise<void> {
  const text = await readSmallText(join(dir, PID_FILE));
  if (!text) return;
  const [pidText, host] = text.split(' ');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 1 || host !== hostname()) return;
  const environ = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '');
  if (environ.split('\0').includes(`ORTQ_TRAIN_DIR=${dir}`)) killGroup(pid, 'SIGKILL');
}

/**
 * Runs a command trainer in `dir` (a laid-out ORTQ_TRAIN_DIR) under the file
 * contract: its own process group, an environment of ORTQ_TRAIN_DIR,
 * ORTQ_SEED, ORTQ_NUM_THREADS and the names in trainer.env only; stdout and
 * stderr streamed to the log with a capped tail kept; on timeout SIGTERM to
 * the group, a grace period, then SIGKILL. Whatever is left of the group when
 * the trainer exits is killed too, so no orphan survives it.
 */
export async function runCommandTrainer(opts: {
  dir: string;
  trainer: CommandTrainerSpec;
  seed: number;
  logger?: Logger;
  onHeartbeat?: () => void;
}): Promise<CommandOutcome> {
  const { dir, trainer } = opts;
  const env = {
    ...passthroughEnv(trainer.env),
    ORTQ_TRAIN_DIR: dir,
    ORTQ_SEED: String(opts.seed),
    ORTQ_NUM_THREADS: String(trainer.threads ?? 1),
  };
  const tail = new OutputTail();
  const started = Date.now();
  const child = spawn(trainer.command[0], trainer.command.slice(1), { cwd: dir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let spawnError: Error | null = null;
  child.on('error', (err) => { spawnError = err; });
  if (child.pid) await writeFile(join(dir, PID_FILE), `${child.pid} ${hostname()}`);
  for (const [stream, src] of [['stdout', child.stdout], ['stderr', child.stderr]] as const) {
    src.setEncoding('utf8');
    let partial = '';
    src.on('data', (chunk: string) => {
      tail.push(chunk);
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) opts.logger?.info({ stream }, line);
    });
  }
  const timeoutMs = durationMs(trainer.timeout);
  const graceMs = durationMs(trainer.grace);
  let timedOut = false;
  let graceTimer: NodeJS.Timeout | undefined;
  const timer = setTimeout(() => {
    timedOut = true;
    opts.logger?.warn({ timeout: trainer.timeout }, 'trainer timed out: SIGTERM to its process group');
    if (child.pid) killGroup(child.pid, 'SIGTERM');
    graceTimer = setTimeout(() => { if (child.pid) killGroup(child.pid, 'SIGKILL'); }, graceMs);
  }, timeoutMs);
  const beat = opts.onHeartbeat ? setInterval(opts.onHeartbeat, 5000) : undefined;
  const exitCode = await new Promise<number | null>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : null)));
    child.on('error', () => resolve(null));
  });
  clearTimeout(timer);
  clearTimeout(graceTimer);
  if (beat) clearInterval(beat);
  // children the trainer started (and left behind) die with it
  if (child.pid) killGroup(child.pid, 'SIGKILL');
  child.stdout?.destroy();
  child.stderr?.destroy();
  const elapsed = Date.now() - started;
  const out = join(dir, 'output');
  const last = () => tail.last(20) || '(no output)';
  if (spawnError) throw new OrtqError('ORTQ_TRAIN_FAILED', `cannot start trainer ${trainer.command[0]}: ${(spawnError as Error).message}`, { command: trainer.command });
  if (timedOut) throw new OrtqError('ORTQ_TRAIN_FAILED', `the trainer timed out after ${trainer.timeout} and was killed; its output ended:\n${last()}`, { timeout: trainer.timeout, tail: tail.toString() });
  const failure = await readSmallText(join(out, 'failure'));
  if (failure !== undefined) throw new OrtqError('ORTQ_TRAIN_FAILED', `the trainer reported a failure: ${failure || '(empty output/failure)'}`, { failure, exitCode, tail: tail.toString() });
  if (exitCode !== 0) throw new OrtqError('ORTQ_TRAIN_FAILED', `the trainer exited with status ${exitCode}; its output ended:\n${last()}`, { exitCode, tail: tail.toString() });
  const bytes = await outputBytes(out, trainer.maxOutputBytes);
  const modelFile = join(out, 'model.onnx');
  const model = await readSmallText(modelFile, 1);
  if (model === undefined) throw new OrtqError('ORTQ_TRAIN_FAILED', `the trainer exited 0 but wrote no output/model.onnx; its output ended:\n${last()}`, { tail: tail.toString() });
  let reportedMetrics: unknown = null;
  const metricsText = await readSmallText(join(out, 'metrics.json'), 1 << 20);
  if (metricsText !== undefined) {
    try {
      reportedMetrics = JSON.parse(metricsText);
    } catch {
      reportedMetrics = { unparsable: metricsText.slice(0, 200) };
    }
  }
  return { modelFile, reportedMetrics, files: await outputFiles(join(out, 'files')), exitCode, durationMs: elapsed, outputBytes: bytes, tail: tail.toString() };
}
