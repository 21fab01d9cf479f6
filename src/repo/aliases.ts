import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OrtqError } from '../errors.js';
import { writeJsonAtomic } from '../fs/atomic.js';
import { withDirLock } from './lock.js';

/** One change of an alias; `null` means "not set". */
export interface AliasEvent {
  alias: string;
  from: string | null;
  to: string | null;
  at: string;
  action: 'move' | 'rollback' | 'remove';
  /** who or what moved it: a user command, or `train` for a promotion */
  by?: string;
  /** the training run whose promotion moved it */
  trainRun?: string;
}

/** The review state of a trained version (kept beside the aliases so approve moves both under one lock). */
export interface VerdictRecord {
  verdict: 'blessed' | 'rejected' | 'pending_approval';
  reasons: string[];
  trainRun?: string;
  at: string;
  by?: string;
}

export interface AliasFile {
  aliases: Record<string, string>;
  history: AliasEvent[];
  /** version -> review state, for versions a training run registered */
  verdicts?: Record<string, VerdictRecord>;
}

/** Per model name: `<root>/<name>/.aliases.json` (the leading dot keeps it apart from versions). */
export class AliasStore {
  constructor(private readonly nameDir: string) {}

  private get file(): string {
    return join(this.nameDir, '.aliases.json');
  }

  async read(): Promise<AliasFile> {
    try {
      const parsed = JSON.parse(await readFile(this.file, 'utf8')) as AliasFile;
      // fields this version does not know (verdicts) are carried through a read-modify-write
      return { ...parsed, aliases: parsed.aliases ?? {}, history: parsed.history ?? [] };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { aliases: {}, history: [] };
      throw new OrtqError('ORTQ_MODEL_CORRUPT', `alias file ${this.file} is unreadable: ${(err as Error).message}`, { file: this.file });
    }
  }

  /** Read-modify-write under a lock; the write is temp file + rename, so readers see the old or the new file. */
  async update<T>(fn: (state: AliasFile) => T | Promise<T>): Promise<T> {
    return withDirLock(join(this.nameDir, '.aliases.lock'), async () => {
      const state = await this.read();
      const result = await fn(state);
      await writeJsonAtomic(this.file, state);
      return result;
    });
  }
}

/** The aliases that point at `version`, sorted. */
export function aliasesOf(aliases: Record<string, string>, version: string): string[] {
  return Object.keys(aliases).filter((a) => aliases[a] === version).sort();
}

/** Points `alias` at `version`, recording the move. Returns the previous target. */
export function moveAlias(
  state: AliasFile, alias: string, version: string | null, action: AliasEvent['action'], at = new Date(),
  extra: Pick<AliasEvent, 'by' | 'trainRun'> = {},
): string | null {
  const from = state.aliases[alias] ?? null;
  if (version === null) delete state.aliases[alias];
  else state.aliases[alias] = version;
  state.history.push({ alias, from, to: version, at: at.toISOString(), action, ...extra });
  return from;
}

/**
 * Compare-and-set: moves `alias` to `version` only if it still points at
 * `expected` (null: not set). Returns whether it moved and where it pointed.
 */
export function compareAndMove(
  state: AliasFile, alias: string, expected: string | null, version: string, extra: Pick<AliasEvent, 'by' | 'trainRun'> = {},
): { moved: boolean; current: string | null } {
  const current = state.aliases[alias] ?? null;
  if (current !== expected) return { moved: false, current };
  moveAlias(state, alias, version, 'move', new Date(), extra);
  return { moved: true, current: version };
}

/**
 * Where `--rollback` sends an alias: the target before its most recent move
 * that has not already been rolled back, so repeated rollbacks walk further back.
 */
export function rollbackTarget(state: AliasFile, alias: string): { to: string | null } | undefined {
  const stack: AliasEvent[] = [];
  for (const e of state.history) {
    if (e.alias !== alias) continue;
    if (e.action === 'rollback') stack.pop();
    else stack.push(e);
  }
  const top = stack[stack.length - 1];
  return top ? { to: top.from } : undefined;
}
