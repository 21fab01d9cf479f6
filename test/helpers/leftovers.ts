import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * Files that onnxruntime itself leaves in the temp directory of every process
 * that loads it (its bundled telemetry SDK, "MAT": a `.ses` session file and
 * an empty `mat-debug-<pid>.log`). Not the tests' doing: ignored.
 */
const NOT_OURS = [/^\.ses$/, /^mat-debug-\d+\.log$/];

/** Every entry under `dir` (files with size and mtime), relative paths sorted; null when `dir` does not exist. */
export function snapshot(dir: string): string[] | null {
  if (!existsSync(dir)) return null;
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        out.push(`${relative(dir, p)}/`);
        walk(p);
      } else {
        const s = statSync(p, { throwIfNoEntry: false });
        out.push(`${relative(dir, p)} ${s?.size ?? '?'} ${s?.mtimeMs ?? '?'}`);
      }
    }
  };
  walk(dir);
  return out.sort();
}

/**
 * What a test run left behind: entries in its own temp directory (other than
 * onnxruntime's), and any change to the project's `.ortq/` since `before`
 * (its snapshot at the start). One line per problem; empty when clean.
 */
export function leftoverProblems(runTmp: string, projectHome: string, before: string[] | null): string[] {
  const problems: string[] = [];
  const left = readdirSync(runTmp).filter((name) => !NOT_OURS.some((re) => re.test(name))).sort();
  if (left.length > 0) {
    problems.push(`tests left ${left.length} entr${left.length === 1 ? 'y' : 'ies'} in the temp directory: ${left.slice(0, 30).join(', ')}${left.length > 30 ? ', …' : ''}`);
  }
  const after = snapshot(projectHome);
  if (JSON.stringify(before) !== JSON.stringify(after)) {
    const added = (after ?? []).filter((x) => !(before ?? []).includes(x));
    problems.push(`tests wrote into the project's own .ortq/ (${before === null ? 'it did not exist before the run' : 'it changed'}): ${added.slice(0, 30).join(', ') || 'files removed'}`);
  }
  return problems;
}
