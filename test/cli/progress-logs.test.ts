import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { rowsProgress, runProgressBar } from '../../src/cli/progress.js';
import { createLogger } from '../../src/logger.js';

// issue 11 item 15: on a TTY, log lines print above the progress bar and the bar is drawn again under them

/** A fake terminal: a Writable that says it is a TTY and records every byte written to it. */
function fakeTty(): Writable & { isTTY: true; columns: number; text(): string } {
  const chunks: string[] = [];
  const w = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  // a real tty.WriteStream writes synchronously; so does this one
  w.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    cb?.();
    return true;
  }) as Writable['write'];
  return Object.assign(w, { isTTY: true as const, columns: 120, text: () => chunks.join('') });
}

/** Visible text of each terminal line: what is left after `\r`, cursor-to-column and erase sequences are applied. */
function screenLines(bytes: string): string[] {
  const out: string[] = [];
  let line = '';
  // eslint-disable-next-line no-control-regex
  const tokens = bytes.match(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[78]|\r|\n|[^\x1b\r\n]+/g) ?? [];
  let col = 0;
  for (const t of tokens) {
    if (t === '\n') { out.push(line); line = ''; col = 0; }
    else if (t === '\r' || t === '\x1b[1G' || t === '\x1b[G') col = 0;
    else if (t === '\x1b[2K') { line = ''; col = 0; }
    else if (t === '\x1b[0K' || t === '\x1b[K') line = line.slice(0, col);
    else if (t.startsWith('\x1b')) continue;
    else { line = line.slice(0, col) + t + line.slice(col + t.length); col += t.length; }
  }
  out.push(line);
  return out;
}

const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, ''); // colours
const BAR = /[█░]{10,}/;

let stops: Array<() => void> = [];
afterEach(() => { for (const s of stops) s(); stops = []; });

describe('progress bar and logs on a TTY', () => {
  it.each(['pretty', 'json'] as const)('a %s log line prints above the rows bar, which is redrawn under it', (format) => {
    process.env.ORTQ_LOG_FORMAT = format;
    try {
      const tty = fakeTty();
      const logger = createLogger({ level: 'info', name: 'ortq', stream: tty });
      const bar = rowsProgress(true, tty);
      stops.push(() => bar.stop());
      bar.update(10, 100);
      const before = tty.text().length;
      logger.info({ shard: '00003' }, 'shard done with a fairly long message');
      const write = tty.text().slice(before);
      // one write: erase the bar's line, the log line, then the bar again
      expect(write.startsWith('\r\x1b[2K')).toBe(true);
      const nl = write.indexOf('\n');
      expect(strip(write.slice(0, nl))).toContain('shard done with a fairly long message');
      expect(strip(write.slice(0, nl))).not.toMatch(BAR);
      expect(write.slice(nl + 1)).toMatch(BAR);
      expect(write.slice(nl + 1)).toContain('10/100 rows');
      bar.update(60, 100);
      logger.warn('second message');
      bar.stop();
      stops = [];

      const screen = screenLines(strip(tty.text()));
      const logLines = screen.filter((l) => l.includes('message'));
      expect(logLines).toHaveLength(2);
      // no log text inside a bar line, no bar inside a log line
      for (const l of logLines) expect(l).not.toMatch(BAR);
      for (const l of screen.filter((x) => BAR.test(x))) expect(l).not.toMatch(/message|shard done/);
      // the logs come in order, and the final bar is the last line drawn, under them
      expect(logLines[0]).toContain('shard done');
      expect(logLines[1]).toContain('second message');
      const lastBar = screen.findLastIndex((l) => BAR.test(l));
      expect(lastBar).toBeGreaterThan(screen.findIndex((l) => l.includes('second message')));
      expect(screen[lastBar]).toContain('60/100 rows');
    } finally {
      delete process.env.ORTQ_LOG_FORMAT;
    }
  });

  it('the queued-run bar does the same, and logs go straight through once the bar is stopped', () => {
    const tty = fakeTty();
    const logger = createLogger({ level: 'info', stream: tty });
    const bar = runProgressBar(true, tty);
    bar.update({ shardsDone: 1, shards: 4, rowsDone: 250, totalRows: 1000, rowsPerSecond: 100, etaSeconds: 8 } as never);
    const before = tty.text().length;
    logger.info('between updates');
    const write = tty.text().slice(before);
    expect(write.startsWith('\r\x1b[2K')).toBe(true);
    expect(strip(write)).toMatch(/between updates[^\n]*\n.*1\/4 shards/);
    bar.stop();
    const after = tty.text().length;
    logger.info('after the bar');
    const plain = tty.text().slice(after);
    expect(plain).not.toContain('\x1b[2K');
    expect(plain).not.toMatch(BAR);
    expect(strip(plain)).toContain('after the bar');
  });

  it('without a TTY there is no bar and logs are plain JSON lines', () => {
    const tty = Object.assign(fakeTty(), { isTTY: false as never });
    const logger = createLogger({ level: 'info', stream: tty });
    const bar = rowsProgress(true, tty);
    bar.update(10, 100);
    logger.info('plain');
    bar.stop();
    expect(JSON.parse(tty.text()).msg).toBe('plain');
  });
});
