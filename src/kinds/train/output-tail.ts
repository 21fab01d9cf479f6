/** Keeps the last `cap` characters of a process's output, for messages and the run manifest. */
export class OutputTail {
  private text = '';
  truncated = false;

  constructor(private readonly cap = 16_384) {}

  push(chunk: string): void {
    this.text += chunk;
    if (this.text.length > this.cap * 2) this.trim();
  }

  private trim(): void {
    if (this.text.length <= this.cap) return;
    this.text = this.text.slice(this.text.length - this.cap);
    this.truncated = true;
  }

  toString(): string {
    this.trim();
    return this.text;
  }

  /** The last `lines` lines, for an error message. */
  last(lines = 20): string {
    return this.toString().trimEnd().split('\n').slice(-lines).join('\n');
  }
}
