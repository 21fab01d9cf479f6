import { pino, type Logger } from 'pino';
import { logSettings } from './config.js';

export type { Logger };

/**
 * Logs go to stderr so that stdout stays free for `--json` output.
 * Pretty on a TTY, one JSON object a line otherwise (or when ORTQ_LOG_FORMAT=json).
 */
export function createLogger(opts: { level?: string; name?: string } = {}): Logger {
  const settings = logSettings();
  const level = opts.level ?? settings.level;
  const pretty = settings.format ? settings.format === 'pretty' : process.stderr.isTTY === true;
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
