import { describe, expect, it } from 'vitest';
import { peakRssMb } from '../../src/bench/peak-rss.js';

describe('peakRssMb', () => {
  it('is this process\'s own high-water mark: at least the RSS now, at most what getrusage says (which also counts a parent\'s RSS at the fork)', () => {
    const now = Math.floor(process.memoryUsage().rss / 1048576);
    const peak = peakRssMb();
    expect(peak).toBeGreaterThanOrEqual(now - 1);
    expect(peak).toBeLessThanOrEqual(Math.round(process.resourceUsage().maxRSS / 1024) + 1);
  });
});
