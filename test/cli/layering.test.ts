import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Source rules that an import graph cannot see: where the process ends and where the environment is read. */

const ROOT = resolve(import.meta.dirname, '../..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? sources(p) : e.name.endsWith('.ts') ? [relative(ROOT, p)] : [];
  });
}

/** Files whose code (comments aside) matches `re`. */
function filesMatching(re: RegExp, skip: (file: string) => boolean = () => false): string[] {
  return sources(join(ROOT, 'src')).filter((f) => !skip(f)).filter((f) => {
    const code = readFileSync(join(ROOT, f), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    return re.test(code);
  });
}

describe('layering', () => {
  it('process.exit is called only by the CLI entry and by the shard child entry', () => {
    // src/queue/step-processor.ts is the entry of BullMQ's sandboxed child process (see the comment there)
    expect(filesMatching(/process\.exit\(/).sort()).toEqual(['src/cli/main.ts', 'src/queue/step-processor.ts']);
  });

  it('environment variables are read only in src/config.ts and src/env-settings.ts', () => {
    // `...process.env` hands the whole environment to a child process without reading a variable;
    // src/bench/ is the benchmark driver, not part of ortq's runtime
    const reads = filesMatching(/(?<!\.\.\.)process\.env\b/, (f) => f.startsWith('src/bench/'));
    // env-settings.ts: the settings the inference thread reads, without config.ts's zod and yaml
    expect(reads.sort()).toEqual(['src/config.ts', 'src/env-settings.ts']);
  });

  it('the queue, the repository and the runs core hold no CLI code', () => {
    const dirs = ['src/queue', 'src/repo', 'src/runs', 'src/kinds'];
    const cliFolders = sources(join(ROOT, 'src')).filter((f) => dirs.some((d) => f.startsWith(`${d}/`)) && /(^|\/)cli(\/|-|\.)|-cli\.ts$|-command\.ts$/.test(f));
    expect(cliFolders).toEqual([]);
  });
});
