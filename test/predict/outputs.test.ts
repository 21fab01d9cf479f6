import { describe, expect, it } from 'vitest';
import { batchFromColumns, halfToFloat, outputColumns, rowMajor } from '../../src/predict/outputs.js';
import { tableToIPC, Table } from 'apache-arrow';

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

  it('a transposed [K,N] output gives the same columns (views, no copy) and the same IPC bytes as [N,K]', () => {
    const rows = 5;
    const rm = Float32Array.from({ length: rows * 3 }, (_, i) => Math.sin(i) * 4);
    const tr = new Float32Array(rows * 3);
    for (let r = 0; r < rows; r++) for (let c = 0; c < 3; c++) tr[c * rows + r] = rm[r * 3 + c];
    for (const opts of [{}, { labels: ['x', 'y', 'z'] }, { rename: 's' }, { as: 'list' as const }]) {
      const a = outputColumns({ name: 'p', tensor: { type: 'float32', data: rm, dims: [rows, 3] }, rows, ...opts });
      const b = outputColumns({ name: 'p', tensor: { type: 'float32', data: tr, dims: [3, rows] }, rows, transposed: true, ...opts });
      expect(b.map(([n]) => n)).toEqual(a.map(([n]) => n));
      const ipc = (c: typeof a) => tableToIPC(new Table([batchFromColumns(c, rows)]), 'file');
      expect(Buffer.from(ipc(b)).equals(Buffer.from(ipc(a)))).toBe(true);
      if (!opts.as) expect((b[1][1].data[0].values as Float32Array).buffer).toBe(tr.buffer);
    }
    expect(Array.from(rowMajor({ type: 'float32', data: tr, dims: [3, rows] }).data as Float32Array)).toEqual(Array.from(rm));
    const one = outputColumns({ name: 'y', tensor: { type: 'int64', data: BigInt64Array.of(1n, 2n), dims: [1, 2] }, rows: 2, transposed: true });
    expect(one.map(([n]) => n)).toEqual(['y']);
  });
});
