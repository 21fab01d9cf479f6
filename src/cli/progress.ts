import cliProgress from 'cli-progress';
import type { RunProgress } from '../queue/follow.js';
import { statusLineOf, type TermStream } from '../status-line.js';

/**
 * Bars draw on the stream's status line (src/status-line.ts), so log lines
 * written meanwhile (the logger writes through the same status line) print
 * above the bar, which is drawn again under them.
 */
function barStream(stream: TermStream) {
  const line = statusLineOf(stream);
  return { line, stream: line.attach() as unknown as NodeJS.WritableStream };
}

/** A rows progress bar on a TTY (rows done of total where known, rows/s, ETA); a no-op otherwise. */
export function rowsProgress(enabled: boolean, out: TermStream = process.stderr): { update(done: number, total: number | null): void; stop(): void } {
  if (!enabled || !out.isTTY) return { update() {}, stop() {} };
  const started = Date.now();
  const { line, stream } = barStream(out);
  const bar = new cliProgress.SingleBar({
    stream,
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
      line.detach();
    },
  };
}

/** A progress bar for a queued run on a TTY (shards and rows done, rows/s, ETA); a no-op otherwise. */
export function runProgressBar(enabled: boolean, out: TermStream = process.stderr): { update(p: RunProgress): void; stop(): void } {
  if (!enabled || !out.isTTY) return { update() {}, stop() {} };
  const { line, stream } = barStream(out);
  const bar = new cliProgress.SingleBar({
    stream,
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
      line.detach();
    },
  };
}
