import type { Decision } from './decide.js';
import type { MetricValues } from './evaluate.js';
import type { PromoteReceipt } from './promote.js';
import type { ReplayReport } from './replay.js';
import type { RegisterReceipt } from './register.js';
import type { EvaluationReceipt } from './step-evaluate.js';
import type { TrainStepReceipt } from './steps.js';
import type { ModelRef, Reason, TrainerIdentity, TrainJob, TrainPlan, Verdict } from './types.js';

/** `run.json` of a train run, written last. */
export interface TrainManifest {
  runId: string;
  kind: 'train';
  status: 'completed' | 'failed';
  job: { name: string; spec: TrainJob };
  trainer: TrainerIdentity;
  inputs: TrainPlan['inputs'];
  /** rows the candidate was trained and evaluated on */
  dataRows: { train: number; eval: number } | null;
  /** run-core fields: rows read (train + eval), nothing written */
  rows: { read: number; written: number; skipped: number };
  outputs: Array<{ path: string; bytes: number; digest: string | null }>;
  candidate: RegisterReceipt | null;
  champion: (ModelRef & { error?: string }) | null;
  verdict: Verdict | null;
  reasons: Reason[];
  metrics: { candidate: MetricValues | null; champion: MetricValues | null };
  promoted: boolean;
  alias: string;
  promotion: PromoteReceipt | null;
  /** `promote.replay`: the candidate and the champion re-scored the inputs of recent prediction runs */
  replay: ReplayReport | null;
  /** the trigger firing that enqueued the run (also in the candidate's lineage as `trigger`) */
  evidence?: Record<string, unknown>;
  trainer_output_tail?: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  versions: Record<string, string>;
  host: string;
  mode: 'local' | 'queue';
  failures?: Array<{ step: string; code: string; message: string }>;
  /** the one-line summary (trainSummaryLine), shown by `runs list` and `ortq status` */
  summary?: string;
}

export interface TrainReceipts {
  train?: TrainStepReceipt;
  evaluate?: EvaluationReceipt;
  decide?: Decision;
  register?: RegisterReceipt;
  promote?: PromoteReceipt;
}

/** Pure: the manifest from the plan and the receipts of the steps that finished. */
export function buildTrainManifest(plan: TrainPlan, r: TrainReceipts, info: {
  mode: 'local' | 'queue';
  startedAt: string;
  finishedAt: Date;
  failures: Array<{ step: string; code: string; message: string }>;
  versions: Record<string, string>;
  host: string;
}): TrainManifest {
  const e = r.evaluate;
  const champion = e?.champion
    ? { tag: e.champion.tag, version: e.champion.version, digest: e.champion.digest, ...('error' in e.champion ? { error: e.champion.error } : {}) }
    : null;
  const reasons = [...(r.decide?.reasons ?? [])];
  if (r.promote && r.promote.verdict !== r.decide?.verdict) {
    reasons.push({ metric: '', check: 'promotion', value: null, bound: null, champion: null, pass: false, message: r.promote.reason });
  }
  const complete = info.failures.length === 0 && r.promote !== undefined;
  return {
    runId: plan.runId,
    kind: 'train',
    status: complete ? 'completed' : 'failed',
    job: { name: plan.job.name, spec: plan.job },
    trainer: plan.trainer,
    inputs: plan.inputs,
    dataRows: r.train?.rows ?? null,
    rows: { read: (r.train?.rows.train ?? 0) + (r.train?.rows.eval ?? 0), written: 0, skipped: 0 },
    outputs: [],
    candidate: r.register ?? null,
    champion,
    verdict: r.promote?.verdict ?? r.decide?.verdict ?? null,
    reasons,
    metrics: {
      candidate: e?.candidate.metrics ?? null,
      champion: e?.champion && 'evaluation' in e.champion ? e.champion.evaluation.metrics : null,
    },
    promoted: r.promote?.promoted ?? false,
    alias: `${plan.job.model}@${plan.job.alias}`,
    promotion: r.promote ?? null,
    replay: r.promote?.replay ?? null,
    ...(plan.job.evidence ? { evidence: plan.job.evidence } : {}),
    ...(r.train?.outputTail ? { trainer_output_tail: r.train.outputTail } : {}),
    startedAt: info.startedAt,
    finishedAt: info.finishedAt.toISOString(),
    durationMs: Math.max(1, info.finishedAt.getTime() - Date.parse(info.startedAt)),
    versions: info.versions,
    host: info.host,
    mode: info.mode,
    ...(info.failures.length ? { failures: info.failures } : {}),
  };
}

/** What a train run adds to the run core's `--json` summary (ortq run, ortq enqueue --wait). */
export function trainSummaryFields(m: TrainManifest): Record<string, unknown> {
  return {
    candidate: m.candidate?.tag ?? null,
    champion: m.champion?.tag ?? null,
    verdict: m.verdict,
    reasons: m.reasons.map((r) => r.message),
    metrics: m.metrics,
    promoted: m.promoted,
    alias: m.alias,
    ...(m.replay ? { replay: { pass: m.replay.pass, psi: m.replay.psi, flipRate: m.replay.flipRate, rows: m.replay.rows, runs: m.replay.runs.map((r) => r.runId), skipped: m.replay.skipped, reasons: m.replay.reasons } } : {}),
    ...(m.evidence ? { evidence: m.evidence } : {}),
    ...(m.failures ? { failures: m.failures } : {}),
  };
}

/** The lines under the summary line: each threshold passed or failed, and the replay's findings. */
export function trainDetailLines(m: TrainManifest): string[] {
  const lines = m.reasons.map((r) => `${r.pass ? 'pass' : 'FAIL'}  ${r.message}`);
  if (m.replay) {
    for (const line of m.replay.reasons) lines.push(`replay  ${line}`);
    for (const sk of m.replay.skipped) lines.push(`replay  skipped ${sk.runId}: ${sk.reason}`);
  }
  return lines;
}

/** One line for the CLI and status. */
export function trainSummaryLine(m: TrainManifest): string {
  if (m.status !== 'completed') return `failed: ${m.failures?.[0]?.code ?? ''} ${m.failures?.[0]?.message.split('\n')[0] ?? ''}`.trim();
  const head = m.metrics.candidate ? Object.entries(m.metrics.candidate)[0] : undefined;
  const metric = head ? `, ${head[0]} ${head[1] === null ? 'n/a' : Number(head[1].toPrecision(4))}` : '';
  return `${m.candidate?.tag ?? 'no candidate'} ${m.verdict}${metric}${m.promoted ? `, promoted to ${m.alias}` : ''}`;
}
