/**
 * What main.ts hands every command. It stays free of heavy imports: commands
 * load the library when they run, so `ortq --help` never loads onnxruntime.
 */
export class CliContext {
  /** Set by a long-running command once it has stopped; main.ts acts on it. */
  drainDeadline: { ms: number; onExpiry: () => void } | undefined;

  /**
   * A service (worker, scheduler) calls this after it has shut down: if a
   * library handle still keeps the event loop alive `ms` later, main.ts ends
   * the process (after `onExpiry`, e.g. a log line) with the command's status.
   */
  exitIfNotDrained(ms: number, onExpiry: () => void = () => undefined): void {
    this.drainDeadline = { ms, onExpiry };
  }
}
