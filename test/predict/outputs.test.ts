import { describe, expect, it } from 'vitest';
import { halfToFloat, outputColumns } from '../../src/predict/outputs.js';

describe('output columns', () => {
  it('decodes float16 bits into numbers', () => {
    expect([0x3c00, 0xc000, 0x3555, 0x0001, 0x7c00, 0x0000].map(halfToFloat)).toEqual([1, -2, 0.333251953125, 2 ** -24, Infinity, 0]);
    expect(Number.isNaN(halfToFloat(0x7e00))).toBe(true);
    const [[name, vec]] = outputColumns({ name: 'y', tensor: { type: 'float16', data: Uint16Array.of(0x3c00, 0x4000), dims: [2] }, rows: 2 });
    expect(name).toBe('y');
    expect(Array.from(vec.toArray() as Float32Array)).toEqual([1, 2]);
  });

  it('splits [N,K] into per-label columns and keeps int64 as int64', () => {
    const cols = outputColumns({ name: 'p', tensor: { type: 'float32', data: Float32Array.of(0.1, 0.9, 0.7, 0.3), dims: [2, 2] }, rows: 2, labels: ['no', 'yes'] });
    expect(cols.map(([n]) => n)).toEqual(['p_no', 'p_yes']);
    expect(Array.from(cols[1][1].toArray() as Float32Array)).toEqual([Math.fround(0.9), Math.fround(0.3)]);
    const [[, ints]] = outputColumns({ name: 'l', tensor: { type: 'int64', data: BigInt64Array.of(3n, 4n), dims: [2] }, rows: 2 });
    expect(ints.toArray()).toBeInstanceOf(BigInt64Array);
  });
});
