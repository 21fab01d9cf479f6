/**
 * Replay before promote (`promote.replay`): before an automatic promotion the
 * candidate and the champion both re-score the inputs of the model's last N
 * completed prediction runs — the same files, proven by the digest their run
 * manifests recorded — and the promotion is held when the candidate's
 * predictions shift beyond `maxShift` on that traffic:
 *
 * - `psi`: population stability index of the candidate's predicted classes
 *   (classification) or predicted values in ten bins at the champion's
 *   deciles (regression), against the champion's, over all replayed rows;
 * - `flipRate` (classification): the share of rows whose predicted class
 *   differs between the two.
 *
 * It catches a candidate that wins on the eval split but behaves differently
 * on the traffic it will serve. A run whose input changed or is gone is
 * reported and skipped; with no run left, the promotion is held.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { OrtqConfig } from '../../config.js';
import { toOrtqError } from '../../errors.js';
import type { InputFile } from '../../io/discover.js';
import { readBatches } from '../../io/read.js';
import { psi } from '../../monitor/stats.js';
import { buildFeatures, type InputSpec } from '../../predict/features.js';
import { InferenceThread } from '../../predict/inference-client.js';
import type { ThreadTensor } from '../../predict/inference-thread.js';
import { digestAlgorithm, recordedDigest } from '../../io/digest.js';
import { cachedDigest } from '../../predict/fingerprint-cache.js';
import type { RunManifest } from '../../predict/types.js';
import type { ModelRepository } from '../../repo/model-repository.js';
import { RunLedger } from '../../runs/ledger.js';
import { readRunManifest } from '../../runs/store.js';
import { modelClassLabels } from './class-labels.js';
import { pickOutputs, type ScoringModel } from './score.js';
import type { PromoteSpec } from './spec-schema.js';
import type { Task } from './types.js';

export type ReplaySpec = NonNullable<PromoteSpec['replay']>;

export interface ReplayRun {
  runId: string;
  finishedAt: string;
  /** the version that scored it in production */
  model: string;
  rows: number;
  psi: number | null;
  flipRate: number | null;
}

export interface ReplayReport {
  /** the champion the candidate was compared with */
  champion: string;
  limits: ReplaySpec['maxShift'];
  runs: ReplayRun[];
  /** runs not replayed, with why (an input changed or is gone, the features do not fit) */
  skipped: Array<{ runId: string; reason: string }>;
  rows: number;
  /** over all replayed rows */
  psi: number | null;
  flipRate: number | null;
  pass: boolean;
  /** one line per limit, or why nothing could be replayed */
  reasons: string[];
}

/**
 * The model's newest `n` completed prediction runs (any version), newest first, with their manifests.
 * The ledger records say when each run finished, so only the manifests of the newest `n` are read.
 */
async function recentRuns(model: string, n: number, ledger: RunLedger): Promise<RunManifest[]> {
  const records = (await ledger.list())
    .filter((r) => r.status === 'completed' && (r.kind ?? 'predict') === 'predict' && r.model.startsWith(`${model}:`))
    .sort((a, b) => ((a.finishedAt ?? a.startedAt) < (b.finishedAt ?? b.startedAt) ? 1 : -1));
  const out: RunManifest[] = [];
  for (const r of records) {
    if (out.length >= n) break;
    const m = await readRunManifest<RunManifest>(r.runDir).catch(() => null);
    if (m && m.status === 'completed') out.push(m);
  }
  return out.sort((a, b) => (a.finishedAt < b.finishedAt ? 1 : -1));
}

/**
 * Why a run's inputs cannot be replayed (changed or missing), or null when
 * every file has its recorded digest (taken again with the algorithm the
 * manifest recorded: a run of format 1 holds sha256).
 */
async function inputsProblem(m: RunManifest): Promise<string | null> {
  const recorded = m.inputs.map((i) => recordedDigest(i) ?? '');
  let hashes: string[];
  try {
    hashes = [];
    for (const [k, i] of m.inputs.entries()) hashes.push(await cachedDigest(i.path, digestAlgorithm(recorded[k])));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return `an input is gone or unreadable (${code ?? toOrtqError(err).message})`;
  }
  const changed = m.inputs.filter((_, k) => hashes[k] !== recorded[k]).map((i) => i.path);
  return changed.length ? `input changed since the run (digest differs): ${changed.join(', ')}` : null;
}

interface Side { model: ScoringModel; thread: InferenceThread; names: ReturnType<typeof pickOutputs> }

/** Per row: the predicted class as a string (classification) or the value (regression). */
function predictions(side: Side, outputs: Record<string, ThreadTensor>, rows: number, task: Task): Array<string> | Float64Array {
  const { names, model } = side;
  if (task === 'regression') {
    const v = outputs[names.value!].data as ArrayLike<number>;
    const w = v.length / rows;
    const out = new Float64Array(rows);
    for (let r = 0; r < rows; r++) out[r] = Number(v[r * w]);
    return out;
  }
  const out = new Array<string>(rows);
  if (names.label) {
    const l = outputs[names.label].data as ArrayLike<unknown>;
    for (let r = 0; r < rows; r++) out[r] = String(typeof l[r] === 'bigint' ? Number(l[r]) : l[r]);
    return out;
  }
  const p = outputs[names.proba!].data as ArrayLike<number>;
  const k = p.length / rows;
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (p[r * k + j] > p[r * k + best]) best = j;
    out[r] = String(model.classLabels?.[best] ?? best);
  }
  return out;
}

/** Accumulates the two models' predictions of one scope (a run, or all runs). */
class Shift {
  rows = 0;
  flips = 0;
  readonly counts = new Map<string, [number, number]>();
  readonly values: [number[], number[]] = [[], []];

  add(champ: Array<string> | Float64Array, cand: Array<string> | Float64Array): void {
    this.rows += champ.length;
    if (Array.isArray(champ)) {
      const c2 = cand as string[];
      for (let r = 0; r < champ.length; r++) {
        if (champ[r] !== c2[r]) this.flips++;
        this.bump(champ[r], 0);
        this.bump(c2[r], 1);
      }
    } else {
      for (let r = 0; r < champ.length; r++) {
        this.values[0].push(champ[r]);
        this.values[1].push((cand as Float64Array)[r]);
      }
    }
  }

  merge(o: Shift): void {
    this.rows += o.rows;
    this.flips += o.flips;
    for (const [label, [a, b]] of o.counts) {
      const c = this.counts.get(label);
      if (c) {
        c[0] += a;
        c[1] += b;
      } else {
        this.counts.set(label, [a, b]);
      }
    }
    for (const v of o.values[0]) this.values[0].push(v);
    for (const v of o.values[1]) this.values[1].push(v);
  }

  private bump(label: string, side: 0 | 1): void {
    let c = this.counts.get(label);
    if (!c) this.counts.set(label, (c = [0, 0]));
    c[side]++;
  }

  psi(task: Task): number | null {
    if (this.rows === 0) return null;
    if (task === 'classification') {
      const cs = [...this.counts.values()];
      return psi(cs.map((c) => c[0]), cs.map((c) => c[1]));
    }
    const sorted = [...this.values[0]].sort((a, b) => a - b);
    const edges = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((d) => sorted[Math.min(sorted.length - 1, Math.floor((d / 10) * sorted.length))]);
    const bin = (v: number) => {
      let i = 0;
      while (i < edges.length && v > edges[i]) i++;
      return i;
    };
    const e = new Array<number>(10).fill(0);
    const a = new Array<number>(10).fill(0);
    for (const v of this.values[0]) e[bin(v)]++;
    for (const v of this.values[1]) a[bin(v)]++;
    return psi(e, a);
  }

  flipRate(task: Task): number | null {
    return task === 'classification' && this.rows > 0 ? this.flips / this.rows : null;
  }
}

/** Scores one run's inputs with both models, accumulating into `run`. */
async function replayRun(m: RunManifest, champ: Side, cand: Side, task: Task, batchSize: number, run: Shift): Promise<void> {
  const features = m.job.spec.features;
  const columns = [...new Set(Object.values(features).flat())];
  for (const input of m.inputs) {
    const file: InputFile = { path: input.path, format: input.format, size: input.size, mtimeMs: 0 };
    let rowBase = 0;
    for await (const batch of readBatches(file, { columns, batchSize })) {
      const build = (s: Side) => buildFeatures({ batch, features, inputs: s.model.signature.inputs as InputSpec[], nulls: 'skip', file: input.path, rowBase, careful: true });
      const fa = build(champ);
      const fb = build(cand);
      rowBase += batch.numRows;
      if (fa.rows === 0) continue;
      if (fa.rows !== fb.rows) throw new Error(`${input.path}: the two models keep ${fa.rows} and ${fb.rows} rows of a batch`);
      const feeds = (f: typeof fa) => Object.fromEntries([...f.tensors].map(([name, t]) => [name, t as ThreadTensor]));
      const [ra, rb] = await Promise.all([champ.thread.run(feeds(fa)), cand.thread.run(feeds(fb))]);
      const pa = predictions(champ, ra.outputs, fa.rows, task);
      const pb = predictions(cand, rb.outputs, fb.rows, task);
      run.add(pa, pb);
    }
  }
}

const fmt = (v: number | null) => (v === null ? 'n/a' : Number(v.toPrecision(4)).toString());

/**
 * Replays the model's recent production traffic through the champion and the
 * candidate and judges the shift against `spec.maxShift`.
 */
export async function replayBeforePromote(args: {
  spec: ReplaySpec;
  model: string;
  task: Task;
  batchSize: number;
  candidate: ScoringModel;
  championTag: string;
  repo: ModelRepository;
  inference?: OrtqConfig['inference'];
  ledger?: RunLedger;
}): Promise<ReplayReport> {
  const { spec, task } = args;
  const manifests = await recentRuns(args.model, spec.runs, args.ledger ?? new RunLedger());
  const loaded = await args.repo.load(args.championTag);
  const sig = loaded.model.manifest.signature;
  const probOut = sig.outputs.find((o) => o.elemType.startsWith('float') && o.shape.length === 2)?.name ?? null;
  const champModel: ScoringModel = {
    tag: loaded.model.tag ?? args.championTag, bytes: loaded.bytes, signature: sig,
    classLabels: task === 'classification' ? modelClassLabels(loaded.bytes, loaded.model.manifest, probOut) : null,
  };
  const report: ReplayReport = {
    champion: `${loaded.model.name}:${loaded.model.version}`, limits: spec.maxShift, runs: [], skipped: [], rows: 0, psi: null, flipRate: null, pass: false, reasons: [],
  };
  if (manifests.length === 0) {
    report.reasons.push(`no completed prediction run of ${args.model} to replay; a person decides`);
    return report;
  }
  const champ: Side = { model: champModel, thread: new InferenceThread(champModel.bytes, args.inference), names: pickOutputs(champModel, task) };
  const cand: Side = { model: args.candidate, thread: new InferenceThread(args.candidate.bytes, args.inference), names: pickOutputs(args.candidate, task) };
  const all = new Shift();
  try {
    await Promise.all([champ.thread.ready, cand.thread.ready]);
    for (const m of manifests) {
      const problem = await inputsProblem(m);
      if (problem) {
        report.skipped.push({ runId: m.runId, reason: problem });
        continue;
      }
      const run = new Shift();
      try {
        await replayRun(m, champ, cand, task, args.batchSize, run);
      } catch (err) {
        // a run that cannot be replayed (its features do not fit a model, a file that no longer decodes) counts for nothing
        report.skipped.push({ runId: m.runId, reason: toOrtqError(err).message });
        continue;
      }
      all.merge(run);
      report.runs.push({ runId: m.runId, finishedAt: m.finishedAt, model: m.model.tag, rows: run.rows, psi: run.psi(task), flipRate: run.flipRate(task) });
    }
  } finally {
    await Promise.all([champ.thread.close(), cand.thread.close()]);
  }
  report.rows = all.rows;
  report.psi = all.psi(task);
  report.flipRate = all.flipRate(task);
  if (report.runs.length === 0 || all.rows === 0) {
    report.reasons.push(`none of the last ${manifests.length} prediction run(s) of ${args.model} could be replayed (${report.skipped.map((s) => `${s.runId}: ${s.reason}`).join('; ')}); a person decides`);
    return report;
  }
  let pass = true;
  const check = (name: 'psi' | 'flipRate', value: number | null, limit: number | undefined) => {
    if (limit === undefined) return;
    const ok = value !== null && value <= limit;
    if (!ok) pass = false;
    report.reasons.push(`replay ${name} ${fmt(value)} ${ok ? '≤' : '>'} maxShift.${name} ${limit} (${all.rows} rows of ${report.runs.length} run(s) vs ${report.champion})`);
  };
  check('psi', report.psi, spec.maxShift.psi);
  check('flipRate', report.flipRate, spec.maxShift.flipRate);
  report.pass = pass;
  return report;
}

/** The candidate as the replay scores it: the validated scoring model of the run. */
export async function candidateForReplay(runDir: string, validated: { scoringModel: string; signature: ScoringModel['signature']; classLabels: ScoringModel['classLabels'] }): Promise<ScoringModel> {
  return { tag: 'the candidate', bytes: await readFile(join(runDir, validated.scoringModel)), signature: validated.signature, classLabels: validated.classLabels };
}
