import cliProgress from 'cli-progress';
import type { RunProgress } from '../follow.js';

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
