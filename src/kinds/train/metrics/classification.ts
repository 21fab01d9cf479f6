/**
 * Label metrics (from predicted class indices), with scikit-learn 1.2's
 * definitions. Classes are indices 0..k-1; a class that appears neither in
 * `y` nor in `pred` is not averaged over (sklearn's `unique_labels`), and a
 * ratio with a zero denominator is 0 (sklearn's default `zero_division="warn"`).
 */

export type Labels = Float64Array | Float32Array | Int32Array | ArrayLike<number>;

/** counts per class: true (support), predicted, and true positives */
interface ClassCounts { k: number; truth: Float64Array; predicted: Float64Array; hits: Float64Array }

function counts(y: Labels, pred: Labels, k: number): ClassCounts {
  if (y.length !== pred.length) throw new RangeError(`y has ${y.length} rows but the predictions have ${pred.length}`);
  const truth = new Float64Array(k);
  const predicted = new Float64Array(k);
  const hits = new Float64Array(k);
  for (let i = 0; i < y.length; i++) {
    const t = y[i];
    const p = pred[i];
    truth[t]++;
    predicted[p]++;
    if (t === p) hits[t]++;
  }
  return { k, truth, predicted, hits };
}

/** class count from the data when the caller gives none */
export function classCount(y: Labels, pred: Labels, k?: number): number {
  if (k !== undefined) return k;
  let m = 0;
  for (let i = 0; i < y.length; i++) m = Math.max(m, y[i], pred[i]);
  return m + 1;
}

const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);

export function accuracy(y: Labels, pred: Labels): number {
  if (y.length !== pred.length) throw new RangeError(`y has ${y.length} rows but the predictions have ${pred.length}`);
  let hit = 0;
  for (let i = 0; i < y.length; i++) if (y[i] === pred[i]) hit++;
  return y.length === 0 ? NaN : hit / y.length;
}

/** mean recall over the classes present in `y` (sklearn drops the NaN recall of classes only predicted) */
export function balancedAccuracy(y: Labels, pred: Labels, k?: number): number {
  const c = counts(y, pred, classCount(y, pred, k));
  let sum = 0;
  let n = 0;
  for (let j = 0; j < c.k; j++) {
    if (c.truth[j] === 0) continue;
    sum += c.hits[j] / c.truth[j];
    n++;
  }
  return n === 0 ? NaN : sum / n;
}

type Score = 'precision' | 'recall' | 'f1';

function classScore(c: ClassCounts, j: number, score: Score): number {
  const p = ratio(c.hits[j], c.predicted[j]);
  const r = ratio(c.hits[j], c.truth[j]);
  if (score === 'precision') return p;
  if (score === 'recall') return r;
  return p + r === 0 ? 0 : (2 * p * r) / (p + r);
}

/** `average="binary"`: the score of the positive class, index 1 (the greater of the two sorted labels) */
export function binaryScore(score: Score, y: Labels, pred: Labels): number {
  const c = counts(y, pred, Math.max(2, classCount(y, pred)));
  if (c.k > 2) throw new RangeError(`${score} is for two classes; the data has ${c.k}: use ${score}_macro`);
  return classScore(c, 1, score);
}

/** `average="macro"`: unweighted mean over the classes present in `y` or `pred` */
export function macroScore(score: Score, y: Labels, pred: Labels, k?: number): number {
  const c = counts(y, pred, classCount(y, pred, k));
  let sum = 0;
  let n = 0;
  for (let j = 0; j < c.k; j++) {
    if (c.truth[j] === 0 && c.predicted[j] === 0) continue;
    sum += classScore(c, j, score);
    n++;
  }
  return n === 0 ? NaN : sum / n;
}
