import cliProgress from 'cli-progress';

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
