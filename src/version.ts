import { readFileSync } from 'node:fs';

let cached: string | undefined;
/** ortq's own version, read from package.json next to dist/ or src/. */
export function ortqVersion(): string {
  if (cached) return cached;
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  cached = pkg.version;
  return cached;
}
