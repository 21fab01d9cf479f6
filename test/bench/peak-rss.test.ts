import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { peakRssMb } from '../../src/bench/peak-rss.js';

// the compiled module (npm test builds first), for a child process of its own
const compiled = fileURLToPath(new URL('../../dist/bench/peak-rss.js', import.meta.url));

describe('peakRssMb', () => {
  it('is this process\'s own high-water mark: at least the RSS now, at most what getrusage says (which also counts a parent\'s RSS at the fork)', () => {
    const now = Math.floor(process.memoryUsage().rss / 1048576);
    const peak = peakRssMb();
    expect(peak).toBeGreaterThanOrEqual(now - 1);
    expect(peak).toBeLessThanOrEqual(Math.round(process.resourceUsage().maxRSS / 1024) + 1);
  });

  it.skipIf(process.platform !== 'linux' || !existsSync(compiled))('a child spawned by a parent holding 512 MB reports its own peak, not the parent\'s', () => {
    const held = Buffer.alloc(512 << 20, 1); // touched: resident in this process
    const out = execFileSync(process.execPath, ['--input-type=module', '-e',
      `const { peakRssMb } = await import(${JSON.stringify(compiled)}); console.log(JSON.stringify([peakRssMb(), Math.round(process.resourceUsage().maxRSS / 1024)]));`], { encoding: 'utf8' });
    const [own, rusage] = JSON.parse(out) as [number, number];
    expect(held[held.length - 1]).toBe(1);
    expect(rusage).toBeGreaterThanOrEqual(512); // the premise: getrusage carries the parent's mark
    expect(own).toBeLessThan(256);
  });
});
