/** A stream a status line can be drawn on: stderr, or a fake TTY in tests. */
export interface TermStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** What a bar draws on: enough of a tty.WriteStream for cli-progress and readline. */
export interface BarStream {
  isTTY: true;
  readonly columns: number;
  write(chunk: string | Uint8Array, ...rest: unknown[]): boolean;
}

// a write made only of cursor and erase sequences (cursorTo, clearLine, hide/show, save/restore)
const CONTROL_ONLY = /^(?:\x1b\[[0-9;?]*[A-Za-z]|\x1b[78])+$/;

/**
 * The bottom line of a terminal stream, kept for a progress bar, with log
 * lines printed above it. A bar draws through `attach()`'s stream, which
 * passes its writes on and remembers the last line it drew; `writeAbove`
 * erases that line, prints the text, and draws the line again under it, in
 * one write, so no log text ever lands inside a bar line. Without an
 * attached bar, text goes straight to the stream. One per stream
 * (`statusLineOf`), shared by the logger and the progress bars.
 */
export class StatusLine {
  private drawn: string | null = null;
  private attached = false;

  constructor(readonly stream: TermStream) {}

  /**
   * The stream a bar writes to (cli-progress's `stream` option) while it is
   * shown: a TTY as wide as the real one, whose writes pass through at once.
   */
  attach(): BarStream {
    this.attached = true;
    this.drawn = null;
    const out = this.stream;
    return {
      isTTY: true,
      get columns() { return out.columns ?? 80; },
      write: (chunk: string | Uint8Array, ...rest: unknown[]) => {
        this.fromBar(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
        // readline passes a callback last
        const cb = rest.find((r): r is () => void => typeof r === 'function');
        cb?.();
        return true;
      },
    };
  }

  /** The bar is gone (stopped): text goes straight to the stream again. */
  detach(): void {
    this.attached = false;
    this.drawn = null;
  }

  /** Prints `text` (whole lines) above the bar, then draws the bar again. */
  writeAbove(text: string): void {
    if (!this.attached || this.drawn === null) {
      this.stream.write(text);
      return;
    }
    const body = text.endsWith('\n') ? text : `${text}\n`;
    // to column 1, erase the bar's line, the log lines, then the bar on the fresh bottom line
    this.stream.write(`\r\x1b[2K${body}${this.drawn}\x1b[K`);
  }

  private fromBar(chunk: string): void {
    if (!CONTROL_ONLY.test(chunk)) {
      // the bar's text (cli-progress writes it in one piece); a newline ends the bar's line
      const nl = chunk.lastIndexOf('\n');
      this.drawn = nl === -1 ? chunk : chunk.slice(nl + 1) || null;
    }
    this.stream.write(chunk);
  }
}

const lines = new WeakMap<object, StatusLine>();

/** The status line of a stream (process.stderr by default): one per stream. */
export function statusLineOf(stream: TermStream = process.stderr): StatusLine {
  let l = lines.get(stream);
  if (!l) lines.set(stream, (l = new StatusLine(stream)));
  return l;
}
