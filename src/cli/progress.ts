import cliProgress from 'cli-progress';
import type { RunProgress } from '../queue/follow.js';

/** A rows progress bar on a TTY (rows done of total where known, rows/s, ETA); a no-op otherwise. */
export function rowsProgress(enabled: boolean): { update(done: number, total: number | null): void; stop(): void } {
  if (!enabled || !process.stderr.isTTY) return { update() {}, stop() {} };
  const started = Date.now();
  const bar = new cliProgress.SingleBar({
    stream: process.stderr,
    format: '{bar} {percentage}% | {value}/{total} rows | {rate} rows/s | ETA {eta_formatted}',
    hideCursor: true,
    etaBuffer: 50,
  }, cliProgress.Presets.shades_classic);
  let startedBar = false;
  return {
    update(done, total) {
      const rate = Math.round(done / Math.max(0.001, (Date.now() - started) / 1000));
      if (!startedBar) {
        bar.start(total ?? 0, done, { rate });
        startedBar = true;
      }
      if (total !== null) bar.setTotal(total);
      bar.update(done, { rate });
    },
    stop() {
      if (startedBar) bar.stop();
    },
  };
}

/** A progress bar for a queued run on a TTY (shards and rows done, rows/s, ETA); a no-op otherwise. */
export function runProgressBar(enabled: boolean): { update(p: RunProgress): void; stop(): void } {
  if (!enabled || !process.stderr.isTTY) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar({
    stream: process.stderr,
    format: '{bar} {percentage}% | {shardsDone}/{shards} shards | {value}/{total} rows | {rate} rows/s | ETA {etaText}',
    hideCursor: true,
  }, cliProgress.Presets.shades_classic);
  let started = false;
  return {
    update(p) {
      const total = p.totalRows ?? p.shards;
      const value = p.totalRows === null ? p.shardsDone : p.rowsDone;
      const payload = { shardsDone: p.shardsDone, shards: p.shards, rate: p.rowsPerSecond, etaText: p.etaSeconds === null ? '-' : `${p.etaSeconds}s` };
      if (!started) {
        bar.start(total, value, payload);
        started = true;
      }
      bar.update(value, payload);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
