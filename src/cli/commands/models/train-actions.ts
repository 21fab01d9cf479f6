import { loadConfig } from '../../../config.js';
import { OrtqError } from '../../../errors.js';
import { ModelRepository } from '../../../repo/model-repository.js';
import { formatTable, printJson } from '../../output.js';

/** `ortq models approve|reject|lineage`: review of versions registered by training runs. */

interface RepoFlags { repo?: string; json?: boolean }

function openRepository(flags: RepoFlags): ModelRepository {
  return ModelRepository.fromConfig(loadConfig(), flags.repo);
}

export async function approveCommand(tag: string, flags: RepoFlags & { alias?: string }): Promise<void> {
  const { approveVersion } = await import('../../../kinds/train/verdicts.js');
  const out = await approveVersion(openRepository(flags), tag, flags.alias ?? 'champion');
  const alias = `${out.tag.split(':')[0]}@${out.alias}`;
  if (flags.json) printJson({ ...out, alias, verdict: 'blessed' });
  else process.stdout.write(`approved ${out.tag}: ${alias} ${out.from ?? '(unset)'} → ${out.tag.split(':')[1]}\n`);
}

export async function rejectCommand(tag: string, flags: RepoFlags & { reason?: string }): Promise<void> {
  if (!flags.reason) throw new OrtqError('ORTQ_USAGE', 'give the --reason for the rejection');
  const { rejectVersion } = await import('../../../kinds/train/verdicts.js');
  const out = await rejectVersion(openRepository(flags), tag, flags.reason);
  if (flags.json) printJson({ ...out, verdict: 'rejected', reason: flags.reason });
  else process.stdout.write(`rejected ${out.tag}: ${flags.reason}\n`);
}

const fmt = (v: unknown) => (typeof v === 'number' ? String(Number(v.toPrecision(4))) : 'n/a');

export async function lineageCommand(tag: string, flags: RepoFlags): Promise<void> {
  const { lineageChain } = await import('../../../kinds/train/lineage.js');
  const chain = await lineageChain(openRepository(flags), tag);
  if (flags.json) {
    printJson(chain);
    return;
  }
  process.stdout.write(formatTable(['Tag', 'Verdict', 'Trainer', 'Data', 'Metrics', 'Trigger', 'Parent'], chain.map((e) => {
    const t = e.trainer as { kind?: string; name?: string; command?: string[] } | null;
    const trainer = !t ? '-' : t.kind === 'builtin' ? `builtin ${t.name}` : `command ${(t.command ?? []).join(' ')}`;
    const data = e.data as { rows?: { train: number; eval: number }; train?: unknown[] } | null;
    const rows = data?.rows ? `train ${data.rows.train} rows, eval ${data.rows.eval}` : '-';
    const metrics = e.metrics ? Object.entries(e.metrics).map(([k, v]) => `${k} ${fmt(v)}`).join(', ') : '-';
    const trigger = e.trigger ? `${e.trigger.trigger}${e.trigger.reason ? `: ${e.trigger.reason}` : ''}` : '-';
    return [e.tag, e.verdict ?? '-', trainer, rows, metrics, trigger, e.parent ? `${e.parent.tag}${e.parent.missing ? ' (deleted)' : ''}` : '-'];
  })));
}
