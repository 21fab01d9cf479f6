import { OrtqError } from '../../../../errors.js';

/**
 * Hyperparameters of the built-in `gbdt` trainer. Names are camelCase; the
 * meanings and defaults are those of scikit-learn's
 * HistGradientBoostingClassifier / HistGradientBoostingRegressor, so settings
 * carry over:
 *
 * | name | scikit-learn | default | meaning |
 * |---|---|---|---|
 * | `learningRate` | `learning_rate` | `0.1` | shrinkage applied to every leaf value |
 * | `maxIter` | `max_iter` | `100` | boosting rounds (one tree per round; one per class per round for 3+ classes) |
 * | `maxLeaves` | `max_leaf_nodes` | `31` | leaves per tree, grown best-first; `null` for no limit |
 * | `maxDepth` | `max_depth` | `null` | edges from the root to the deepest leaf; `null` for no limit |
 * | `minSamplesLeaf` | `min_samples_leaf` | `20` | fewest training rows in a leaf |
 * | `l2` | `l2_regularization` | `0` | L2 penalty on leaf values |
 * | `maxBins` | `max_bins` | `255` | quantile bins per feature for non-missing values (2..255); missing values get one more |
 * | `earlyStopping` | `early_stopping=True` | `null` (off) | `{ validationFraction: 0.1, patience: 10, tol: 1e-7 }`: hold out `validationFraction` of the rows (stratified for classification) and stop when the validation loss has not improved by more than `tol` in `patience` rounds (`n_iter_no_change`, `scoring='loss'`) |
 *
 * Unlike scikit-learn, early stopping is never switched on by the data size
 * (`early_stopping='auto'`): it is off unless `earlyStopping` is set.
 */
export interface GbdtParams {
  learningRate: number;
  maxIter: number;
  maxLeaves: number | null;
  maxDepth: number | null;
  minSamplesLeaf: number;
  l2: number;
  maxBins: number;
  earlyStopping: { validationFraction: number; patience: number; tol: number } | null;
}

export const GBDT_DEFAULTS: Readonly<GbdtParams> = Object.freeze({
  learningRate: 0.1,
  maxIter: 100,
  maxLeaves: 31,
  maxDepth: null,
  minSamplesLeaf: 20,
  l2: 0,
  maxBins: 255,
  earlyStopping: null,
});

const EARLY_STOPPING_DEFAULTS = { validationFraction: 0.1, patience: 10, tol: 1e-7 };

type Check = (v: unknown) => string | null;
const number = (lo: number, loOpen: boolean, hi = Infinity, hiOpen = false): Check => (v) =>
  typeof v === 'number' && Number.isFinite(v) && (loOpen ? v > lo : v >= lo) && (hiOpen ? v < hi : v <= hi)
    ? null
    : `a number in ${loOpen ? '(' : '['}${lo}, ${hi === Infinity ? '∞)' : hi + (hiOpen ? ')' : ']')}`;
const integer = (lo: number, hi = Infinity): Check => (v) =>
  Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi ? null : `an integer in [${lo}, ${hi === Infinity ? '∞)' : hi + ']'}`;
const orNull = (c: Check): Check => (v) => (v === null ? null : c(v) && `${c(v)} or null`);

const CHECKS: Record<Exclude<keyof GbdtParams, 'earlyStopping'>, Check> = {
  learningRate: number(0, true),
  maxIter: integer(1),
  maxLeaves: orNull(integer(2)),
  maxDepth: orNull(integer(1)),
  minSamplesLeaf: integer(1),
  l2: number(0, false),
  maxBins: integer(2, 255),
};
const ES_CHECKS: Record<keyof typeof EARLY_STOPPING_DEFAULTS, Check> = {
  validationFraction: number(0, true, 1, true),
  patience: integer(1),
  tol: number(0, false),
};

/** Validates `given` and fills defaults; every problem is listed, each with its dotted path. */
export function gbdtHyperparameters(given: Record<string, unknown>): GbdtParams {
  const problems: string[] = [];
  const out: Record<string, unknown> = { ...GBDT_DEFAULTS };
  for (const [key, value] of Object.entries(given ?? {})) {
    if (key === 'earlyStopping') {
      out.earlyStopping = earlyStopping(value, problems);
    } else if (!(key in CHECKS)) {
      problems.push(`hyperparameters.${key}: unknown to the gbdt trainer (known: ${[...Object.keys(CHECKS), 'earlyStopping'].join(', ')})`);
    } else {
      const bad = CHECKS[key as keyof typeof CHECKS](value);
      if (bad) problems.push(`hyperparameters.${key}: expected ${bad}, got ${JSON.stringify(value)}`);
      else out[key] = value;
    }
  }
  if (problems.length > 0) {
    throw new OrtqError('ORTQ_JOB_INVALID', `gbdt trainer: ${problems.join('; ')}`, { problems });
  }
  return Object.freeze(out) as unknown as GbdtParams;
}

function earlyStopping(value: unknown, problems: string[]): GbdtParams['earlyStopping'] {
  if (value === null || value === false) return null;
  if (value === true) return { ...EARLY_STOPPING_DEFAULTS };
  if (typeof value !== 'object' || Array.isArray(value)) {
    problems.push(`hyperparameters.earlyStopping: expected { validationFraction, patience, tol }, true or null, got ${JSON.stringify(value)}`);
    return null;
  }
  const out = { ...EARLY_STOPPING_DEFAULTS };
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (!(key in ES_CHECKS)) {
      problems.push(`hyperparameters.earlyStopping.${key}: unknown (known: ${Object.keys(ES_CHECKS).join(', ')})`);
      continue;
    }
    const bad = ES_CHECKS[key as keyof typeof ES_CHECKS](v);
    if (bad) problems.push(`hyperparameters.earlyStopping.${key}: expected ${bad}, got ${JSON.stringify(v)}`);
    else out[key as keyof typeof out] = v as number;
  }
  return out;
}
