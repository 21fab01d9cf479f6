import { OrtqError } from '../../../errors.js';
import type { TrainMatrix } from './types.js';

/** Per-column mean and standard deviation (population, as StandardScaler); a constant column gets scale 1. */
export interface ColumnStats { mean: Float64Array; scale: Float64Array }

/**
 * Means and scales in two passes per column (mean, then Σ(x − mean)², which
 * keeps precision for large offsets). A NaN is refused: linear models, as
 * scikit-learn's, have no missing-value handling.
 */
export function columnStats(X: TrainMatrix): ColumnStats {
  const d = X.columns.length;
  const n = X.rows;
  const mean = new Float64Array(d);
  const scale = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    const col = X.columns[j];
    let s = 0;
    for (let i = 0; i < n; i++) s += col[i];
    if (Number.isNaN(s)) throw missingValue(X, j);
    const m = s / n;
    let ss = 0;
    for (let i = 0; i < n; i++) {
      const t = col[i] - m;
      ss += t * t;
    }
    const sd = Math.sqrt(ss / n);
    mean[j] = m;
    // StandardScaler's rule: a scale near 0 (a constant column) is replaced by 1
    scale[j] = sd < 10 * Number.EPSILON * Math.max(1, Math.abs(m)) ? 1 : sd;
  }
  return { mean, scale };
}

function missingValue(X: TrainMatrix, j: number): OrtqError {
  const col = X.columns[j];
  let row = 0;
  while (row < X.rows && !Number.isNaN(col[row])) row++;
  return new OrtqError(
    'ORTQ_TRAIN_DATA_INVALID',
    `feature column ${X.names[j] ?? j} holds a missing value (row ${row + 1}); the linear and logistic trainers need every value — use the gbdt trainer or fill it`,
    { column: X.names[j], row: row + 1 },
  );
}
