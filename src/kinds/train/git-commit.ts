import { execFile } from 'node:child_process';
import { passthroughEnv } from '../../config.js';

/** The commit checked out in `cwd` (with `+dirty` when it has changes), or null when it is not a git checkout. */
export function gitCommit(cwd: string): Promise<string | null> {
  const git = (args: string[]) => new Promise<string | null>((resolve) => {
    execFile('git', args, { cwd, timeout: 5000, env: passthroughEnv(['PATH', 'HOME']) }, (err, stdout) => resolve(err ? null : stdout.trim()));
  });
  return git(['rev-parse', 'HEAD']).then(async (head) => {
    if (!head || !/^[0-9a-f]{40}$/.test(head)) return null;
    const status = await git(['status', '--porcelain', '--untracked-files=no']);
    return status ? `${head}+dirty` : head;
  });
}
