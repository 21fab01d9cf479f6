import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The compiled JS file of a child process's entry (the step process: the
 * worker forks it), so it must be JavaScript: when ortq itself runs from
 * `src/` (vitest), the matching file under `dist/` is used — build first.
 */
export function processorFile(name: string, base: string = import.meta.url): string {
  let file = fileURLToPath(new URL(`./${name}.js`, base));
  if (/[/\\]src[/\\]queue[/\\]/.test(file)) {
    file = file.replace(/([/\\])src([/\\]queue[/\\])/, '$1dist$2');
  }
  if (!existsSync(file)) {
    throw new Error(`child process entry ${file} is missing: run "npx tsc -p tsconfig.build.json" first`);
  }
  return file;
}
