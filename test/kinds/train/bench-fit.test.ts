import { describe, expect, it } from 'vitest';
import { fitCells, runFitBench } from '../../../src/bench/fit.js';
import { benchData, benchLabel } from '../../../src/bench/train-gbdt.js';

describe('fit-time rows of npm run bench', () => {
  it('builds the same gbdt data and labels as bench/sklearn_gbdt.py', () => {
    // python (bench/sklearn_gbdt.py's formula, rows=10, d=5): X[9, 4], z[9], (z > -0.2).astype(int) + (z > 0.6)
    const { columns, z } = benchData(10, 5);
    expect(columns[4][9]).toBeCloseTo(-0.7012548422208056, 9);
    expect(z[9]).toBeCloseTo(-0.38588355691164655, 9);
    expect(Array.from(z, (v) => benchLabel(v, 3))).toEqual([2, 1, 1, 0, 0, 2, 0, 0, 1, 0]);
  });

  it('times every case and marks scikit-learn skipped when it is not asked for', () => {
    const rows = runFitBench({ linearRows: 2000, gbdtRows: 1000, gbdtIterations: 3, threads: 1, sklearn: false, want: () => true });
    expect(rows.map((r) => r.id)).toEqual(['linear', 'logistic', 'logistic3', 'gbdt-regression', 'gbdt-binary', 'gbdt-multiclass']);
    for (const r of rows) {
      expect(r.ortq.seconds).toBeGreaterThan(0);
      expect(r.sklearn).toBeNull();
      expect(fitCells(r).at(-1)).toBe('skipped');
    }
  });

  it('judges the 2× target on CPU seconds', () => {
    const row = (cpu: number) => ({ id: 'x', label: 'x', rows: 1, ortq: { seconds: 9, cpuSeconds: cpu }, sklearn: { seconds: 1, cpuSeconds: 1 } });
    expect(fitCells(row(1.9)).slice(4)).toEqual(['9.00×', '1.90×', '≤ 2×', 'pass']);
    expect(fitCells(row(2.1)).at(-1)).toBe('FAIL');
  });
});
