import { join } from 'node:path';
import { loadConfig } from '../config.js';
import { OrtqError } from '../errors.js';
import { rootLogger } from '../logger.js';
import { loadJobFile } from '../predict/job-spec.js';
import { runLocal } from '../predict/local-run.js';
import { MANIFEST_FILE } from '../predict/run-store.js';
import type { RunManifest } from '../predict/types.js';
import { ModelRepository } from '../repo/model-repository.js';
import { printJson } from './output.js';
import { rowsProgress } from './progress.js';

/** The summary `ortq run --json` and `ortq enqueue --json` print. */
export function runSummary(m: RunManifest, runDir: string, reused: boolean): Record<string, unknown> {
  return {
    runId: m.runId,
    status: m.status,
    reused,
    job: m.job.name,
    model: { tag: m.model.tag, requested: m.model.requested, digest: m.model.digest },
    rows: m.rows,
    outputs: m.outputs.map((o) => join(runDir, o.path)),
    runDir,
    manifest: join(runDir, MANIFEST_FILE),
    durationMs: m.durationMs,
    rowsPerSecond: m.rowsPerSecond,
  };
}

export async function runJobCommand(jobFile: string, flags: { set: string[]; json?: boolean; force?: boolean; repo?: string; shardRows?: string; progress: boolean }): Promise<void> {
  const config = loadConfig();
  const job = await loadJobFile(jobFile, flags.set);
  const repo = ModelRepository.fromConfig(config, flags.repo);
  const shardRows = flags.shardRows ? Number(flags.shardRows) : config.queue.shardRows;
  if (!Number.isInteger(shardRows) || shardRows <= 0) throw new OrtqError('ORTQ_USAGE', `--shard-rows expects a positive integer, got "${flags.shardRows}"`);
  const bar = rowsProgress(flags.progress && !flags.json);
  const logger = rootLogger();
  let result;
  try {
    result = await runLocal(job, {
      repo, inference: config.inference, shardRows, force: flags.force, logger,
      onProgress: (done, total) => bar.update(done, total),
    });
  } finally {
    bar.stop();
  }
  const { manifest, plan, reused } = result;
  if (flags.json) {
    printJson(runSummary(manifest, plan.runDir, reused));
    return;
  }
  const verb = reused ? 'already done' : 'completed';
  process.stdout.write(
    `run ${manifest.runId} ${verb}: ${manifest.rows.written} rows written` +
      (manifest.rows.skipped ? `, ${manifest.rows.skipped} skipped` : '') +
      ` (model ${manifest.model.tag}, ${manifest.rowsPerSecond} rows/s)\n` +
      `results: ${plan.runDir}\n`,
  );
}
