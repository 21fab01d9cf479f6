import { metricInfo } from './metric-catalog.js';
import type { MetricValues } from './evaluate.js';
import type { Reason, TrainJob, Verdict } from './types.js';

export interface Decision {
  verdict: Verdict;
  reasons: Reason[];
  /** the first listed metric: what `models list` shows */
  headline: { metric: string; value: number | null };
}

/** Champion metrics, or why there are none to compare with. */
export type ChampionOutcome = { metrics: MetricValues } | { missing: true } | { error: string };

// metric values are float sums; a bound met to 1e-12 is met
const EPS = 1e-12;

const fmt = (v: number | null) => (v === null ? 'undefined' : Number(v.toPrecision(6)).toString());

/**
 * The verdict, purely from the metrics: every threshold gives one reason
 * (value, bound, champion value, pass/fail). All pass → blessed, or
 * pending_approval under `promote: manual`, under `noChampion: pending`
 * without a champion, or when the champion could not be scored; any fail → rejected.
 */
export function decide(job: TrainJob, candidate: MetricValues, champion: ChampionOutcome): Decision {
  const reasons: Reason[] = [];
  const champ = 'metrics' in champion ? champion.metrics : null;
  for (const [metric, t] of Object.entries(job.evaluate.thresholds)) {
    const v = candidate[metric] ?? null;
    const c = champ?.[metric] ?? null;
    const greater = metricInfo(metric)?.greaterIsBetter ?? true;
    const add = (check: string, bound: number | null, pass: boolean, message: string) =>
      reasons.push({ metric, check, value: v, bound, champion: c, pass, message });
    if (t.min !== undefined) {
      const pass = v !== null && v >= t.min - EPS;
      add('min', t.min, pass, `${metric} ${fmt(v)} ${pass ? '≥' : '<'} min ${t.min}`);
    }
    if (t.max !== undefined) {
      const pass = v !== null && v <= t.max + EPS;
      add('max', t.max, pass, `${metric} ${fmt(v)} ${pass ? '≤' : '>'} max ${t.max}`);
    }
    if (t.maxRegression !== undefined) {
      if (!champ) {
        add('maxRegression', null, true, `${metric}: no champion to compare with`);
      } else if (c === null) {
        add('maxRegression', null, true, `${metric}: the champion's value is undefined; not compared`);
      } else {
        const bound = greater ? c - t.maxRegression : c + t.maxRegression;
        const pass = v !== null && (greater ? v >= bound - EPS : v <= bound + EPS);
        add('maxRegression', bound, pass, `${metric} ${fmt(v)} vs champion ${fmt(c)}: ${pass ? 'within' : 'worse than'} maxRegression ${t.maxRegression} (bound ${fmt(bound)})`);
      }
    }
  }
  const first = job.evaluate.metrics[0];
  const headline = { metric: first, value: candidate[first] ?? null };
  if (reasons.some((r) => !r.pass)) return { verdict: 'rejected', reasons, headline };
  const pending = (check: string, message: string): Decision =>
    ({ verdict: 'pending_approval', reasons: [...reasons, { metric: '', check, value: null, bound: null, champion: null, pass: true, message }], headline });
  if ('error' in champion) return pending('champion', `the champion could not be scored on the eval data (${champion.error}); a person decides`);
  if ('missing' in champion && job.evaluate.noChampion === 'pending') return pending('noChampion', 'no champion to compare with and evaluate.noChampion is pending');
  if (job.promote.mode === 'manual') return pending('promotion', 'passes every threshold; promote: manual waits for "ortq models approve"');
  return { verdict: 'blessed', reasons, headline };
}
