import { describe, expect, it } from 'vitest';
import { binColumns, fitBinMapper } from '../../../src/kinds/train/trainers/gbdt/binning.js';

/** The definition: the first b with x <= thresholds[b] (thresholds.length past the last), missingBin for NaN. */
function naiveCode(x: number, thr: Float64Array, missingBin: number): number {
  const v = Math.fround(x);
  if (v !== v) return missingBin;
  let b = 0;
  while (b < thr.length && !(v <= thr[b])) b++;
  return b;
}

describe('gbdt binning', () => {
  let seed = 3;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const n = 5000;
  const columns = [
    Float64Array.from({ length: n }, () => rnd()),
    Float64Array.from({ length: n }, () => Math.exp(20 * rnd()) * (rnd() < 0.5 ? -1 : 1)), // wide, skewed
    Float64Array.from({ length: n }, () => (rnd() < 0.1 ? NaN : rnd() < 0.02 ? Infinity : rnd() < 0.02 ? -Infinity : Math.floor(rnd() * 7))),
    Float64Array.from({ length: n }, () => (rnd() < 0.99 ? 0 : rnd() * 1e-30)), // nearly constant
    Float64Array.from({ length: n }, () => 5), // constant: no threshold
    Float64Array.from({ length: n }, () => rnd() ** 8 * 1e6 - 3), // most edges in a sliver of the range
  ];

  for (const maxBins of [255, 32, 2]) {
    it(`codes every value as the first bin whose upper edge it does not exceed (maxBins ${maxBins}), edges and their neighbours included`, () => {
      const mapper = fitBinMapper(columns, null, maxBins, 1);
      const probes = columns.map((c, j) => {
        const t = mapper.thresholds[j];
        return Float64Array.from([...c, ...t, ...Array.from(t, (x) => x * (1 + 1e-7)), ...Array.from(t, (x) => x - 1e-30), -Infinity, Infinity, NaN, 1e39, -1e39]);
      });
      const codes = binColumns(mapper, probes, null);
      probes.forEach((p, j) => {
        const want = Uint8Array.from(p, (x) => naiveCode(x, mapper.thresholds[j], mapper.missingBin));
        expect(Array.from(codes[j])).toEqual(Array.from(want));
      });
    });
  }
});
