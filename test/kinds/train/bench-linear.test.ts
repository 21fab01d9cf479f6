import { describe, expect, it } from 'vitest';
import { benchLinearTrainers, hashUniform, syntheticLinearData } from '../../../src/bench/train-linear.js';

describe('linear trainers fit-time benchmark', () => {
  it('builds the same synthetic data as bench/sklearn_linear.py', () => {
    // python: hash_uniform(np.array([12345], dtype=np.uint64), 7)[0], and X[9, 2], z[9] for rows=10, d=3
    expect(hashUniform(12345, 7)).toBe(0.8329400150105357);
    expect(hashUniform(999999, 30)).toBe(0.15921425400301814);
    const d = syntheticLinearData(10, 3);
    expect(d.X.columns[2][9]).toBe(-0.5413522054441273);
    expect(d.z[9]).toBe(-0.2921566830016672);
  });

  it('times each trainer', () => {
    const results = benchLinearTrainers({ rows: 3000, features: 6 });
    expect(results.map((r) => r.trainer)).toEqual(['linear', 'logistic', 'logistic3']);
    for (const r of results) {
      expect(r.seconds).toBeGreaterThan(0);
      expect(r.rows).toBe(3000);
    }
    expect(results[1].converged).toBe(true);
  });
});
