/** Writes machine-readable JSON to stdout: with --json nothing else goes there. */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** Renders rows as an aligned text table with a header. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (c ?? '').padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** Collects a repeatable `--flag value` option into an array. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
