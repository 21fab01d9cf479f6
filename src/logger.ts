import { pino, type Logger } from 'pino';
import { prettyFactory } from 'pino-pretty';
import { logSettings } from './config.js';
import { statusLineOf, type TermStream } from './status-line.js';

export type { Logger };

/**
 * Logs go to stderr so that stdout stays free for `--json` output.
 * Pretty on a TTY, one JSON object a line otherwise (or when ORTQ_LOG_FORMAT=json).
 * On a TTY each line is written in-process, synchronously, through the
 * stream's status line (status-line.ts): while a progress bar is shown, log
 * lines print above it and the bar is drawn again under them.
 */
export function createLogger(opts: { level?: string; name?: string; stream?: TermStream } = {}): Logger {
  const settings = logSettings();
  const level = opts.level ?? settings.level;
  const stream = opts.stream ?? process.stderr;
  const tty = stream.isTTY === true;
  const pretty = settings.format ? settings.format === 'pretty' : tty;
  if (tty) {
    const line = statusLineOf(stream);
    const format = pretty ? prettyFactory({ colorize: true, ignore: 'pid,hostname' }) : null;
    const dest = { write: (s: string) => line.writeAbove(format ? format(s) : s) };
    return pino({ level, name: opts.name, ...(pretty ? {} : { base: { pid: process.pid } }) }, dest);
  }
  if (opts.stream) return pino({ level, name: opts.name, base: { pid: process.pid } }, { write: (s: string) => void stream.write(s) });
  if (pretty) {
    return pino({
      level,
      name: opts.name,
      transport: { target: 'pino-pretty', options: { destination: 2, colorize: true, ignore: 'pid,hostname' } },
    });
  }
  return pino({ level, name: opts.name, base: { pid: process.pid } }, pino.destination({ dest: 2, sync: true }));
}

let shared: Logger | undefined;
/** The process-wide logger; libraries take a logger option and fall back to this one. */
export function rootLogger(): Logger {
  shared ??= createLogger({ name: 'ortq' });
  return shared;
}

export function setRootLogger(logger: Logger): void {
  shared = logger;
}
