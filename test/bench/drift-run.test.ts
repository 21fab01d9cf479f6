import { describe, expect, it } from 'vitest';
import { measureDriftInRun, signedPct } from '../../src/bench/drift-run.js';

describe('the drift row: a run with a profile against one without', () => {
  it('runs ABBA rounds and compares the least wall and the least CPU of each kind, each on its own', () => {
    const order: boolean[] = [];
    // without: walls 10, 12, 11, 13 and CPU 20, 19, 21, 22; with: walls 10.4, 15, 10.3, 11 and CPU 20.5, 19.8, 25, 30
    const plain = [[10, 20], [12, 19], [11, 21], [13, 22]];
    const profiled = [[10.4, 20.5], [15, 19.8], [10.3, 25], [11, 30]];
    const d = measureDriftInRun((p) => {
      order.push(p);
      const [seconds, cpuSeconds] = (p ? profiled : plain).shift()!;
      return { seconds, cpuSeconds, rowsPerSec: 1000 / seconds, maxRssMb: p ? 300 : 200 };
    }, 2);
    expect(order).toEqual([false, true, true, false, false, true, true, false]);
    expect(d.plain).toEqual({ seconds: 10, cpuSeconds: 19 });
    expect(d.profiled).toEqual({ seconds: 10.3, cpuSeconds: 19.8, rowsPerSec: 1000 / 10.3, maxRssMb: 300 });
    expect(d.wallPct).toBeCloseTo(3, 9);
    expect(d.cpuPct).toBeCloseTo((19.8 / 19 - 1) * 100, 9);
    expect(signedPct(d.wallPct)).toBe('+3.0%');
    expect(signedPct(-0.04)).toBe('-0.0%');
  });
});
