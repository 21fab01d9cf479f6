import { describe, expect, it } from 'vitest';
import { jensenShannon, psi, PSI_EPSILON, smooth } from '../../src/monitor/stats.js';

describe('PSI', () => {
  it('matches the hand computation with ε-smoothing', () => {
    // expected [50, 50] → e = [0.5, 0.5]; actual [80, 20] → a = [0.8, 0.2]
    // unsmoothed: (0.8 − 0.5)·ln(0.8/0.5) + (0.2 − 0.5)·ln(0.2/0.5) = 0.3·0.470004 + 0.3·0.916291 = 0.415888
    // smoothed, ε = 1e-4, k = 2: e' = (0.5 + ε)/(1 + 2ε) = 0.5; a' = 0.8001/1.0002 = 0.79994001, 0.2001/1.0002 = 0.20005999
    //   (0.79994001 − 0.5)·ln(0.79994001/0.5) + (0.20005999 − 0.5)·ln(0.20005999/0.5) = 0.4156927
    // numpy: e=np.array([.5,.5]); a=np.array([.8,.2]); es=(e+1e-4)/1.0002; as_=(a+1e-4)/1.0002; np.sum((as_-es)*np.log(as_/es))
    expect(psi([50, 50], [80, 20], 0)).toBeCloseTo(0.41588830833596724, 12);
    expect(psi([50, 50], [80, 20])).toBeCloseTo(0.4156927049389294, 12);
  });

  it('stays finite when a bin is empty on one side', () => {
    // e = [0.5, 0, 0.25, 0.25], a = [0, 0.5, 0.25, 0.25]; k = 4, ε = 1e-4:
    //   0.5 → 0.5001/1.0004 = 0.49990004, 0 → 0.0001/1.0004 = 0.00009996
    //   PSI = 2 · (0.49990004 − 0.00009996) · ln(0.49990004/0.00009996) = 2 · 0.49980008 · ln(5001) = 8.5139876
    expect(psi([10, 0, 5, 5], [0, 10, 5, 5])).toBeCloseTo(8.513987576388349, 9);
    expect(smooth([1, 0], PSI_EPSILON).reduce((s, x) => s + x, 0)).toBeCloseTo(1, 15);
  });

  it('is 0 for the same proportions and null without rows', () => {
    expect(psi([1, 2, 3], [10, 20, 30])).toBeCloseTo(0, 15);
    expect(psi([1, 2], [0, 0])).toBeNull();
    expect(() => psi([1, 2], [1, 2, 3])).toThrow(/share bins/);
  });
});

describe('Jensen–Shannon distance (base 2)', () => {
  it('matches the hand computation and scipy', () => {
    // p = [0.5, 0.5], q = [0.8, 0.2], m = [0.65, 0.35]
    // KL(p‖m) = 0.5·ln(0.5/0.65) + 0.5·ln(0.5/0.35) = 0.0471554; KL(q‖m) = 0.8·ln(0.8/0.65) + 0.2·ln(0.2/0.35) = 0.0541880
    // JSD = (0.0471554 + 0.0541880)/2 / ln 2 = 0.0731035 bits; distance = sqrt = 0.2703775
    // scipy 1.17.1: jensenshannon([50, 50], [80, 20], base=2) → 0.27037752852596664
    expect(jensenShannon([50, 50], [80, 20])).toBeCloseTo(0.27037752852596664, 12);
  });

  it('needs no smoothing for empty bins', () => {
    // p = [.5, 0, .25, .25], q = [0, .5, .25, .25], m = [.25, .25, .25, .25]
    // KL(p‖m) = 0.5·ln 2 = KL(q‖m) → JSD = 0.5 bit → distance √0.5 = 0.7071068
    // scipy: jensenshannon([10, 0, 5, 5], [0, 10, 5, 5], base=2) → 0.7071067811865476
    expect(jensenShannon([10, 0, 5, 5], [0, 10, 5, 5])).toBeCloseTo(Math.SQRT1_2, 12);
    expect(jensenShannon([1, 0], [0, 1])).toBeCloseTo(1, 12);
    expect(jensenShannon([3, 4], [3, 4])).toBe(0);
    expect(jensenShannon([0, 0], [3, 4])).toBeNull();
  });
});
