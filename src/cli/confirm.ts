import { createInterface } from 'node:readline/promises';
import { OrtqError } from '../errors.js';

/**
 * The one way a command that deletes asks first: `--yes` goes ahead; on a
 * terminal the user is asked `[y/N]`; without a terminal (scripts, CI) it is
 * refused with ORTQ_USAGE naming --yes, so nothing is ever deleted silently.
 */
export async function confirmDeletion(what: string, flags: { yes?: boolean }): Promise<void> {
  if (flags.yes) return;
  if (!process.stdin.isTTY) throw new OrtqError('ORTQ_USAGE', `refusing to delete ${what} without --yes (stdin is not a terminal)`);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  let answer: string;
  try {
    answer = await rl.question(`delete ${what}? [y/N] `);
  } finally {
    rl.close();
  }
  if (!/^y(es)?$/i.test(answer.trim())) throw new OrtqError('ORTQ_USAGE', `not deleting ${what}`);
}
