import { Dictionary, Field, Float64, Int32, makeData, makeVector, RecordBatch, Schema, Struct, Utf8, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { driftReport } from '../../src/monitor/drift-report.js';
import { DriftAccumulator, mergeHistograms } from '../../src/monitor/histograms.js';
import { ProfileBuilder } from '../../src/monitor/profile-builder.js';
import { distribution, validateProfile, type ReferenceProfile } from '../../src/monitor/profile.js';

function batchOf(cols: Record<string, ReturnType<typeof vectorFromArray>>): RecordBatch {
  const fields = Object.entries(cols).map(([n, v]) => new Field(n, v.type, true));
  const rows = Object.values(cols)[0].length;
  return new RecordBatch(new Schema(fields), makeData({ type: new Struct(fields), length: rows, nullCount: 0, children: Object.values(cols).map((v) => v.data[0]) }));
}

/** x = 1..10 and a null; s = a a b c null … */
function reference(): RecordBatch {
  return batchOf({
    x: vectorFromArray([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, null], new Float64()),
    s: vectorFromArray(['a', 'a', 'b', 'c', null, 'a', 'b', 'd', 'a', 'c', 'b'], new Utf8()),
  });
}

const SCORES = { type: 'float32', data: Float32Array.from([0.9, 0.1, 0.2, 0.8, 0.6, 0.4]), dims: [3, 2] };

describe('ProfileBuilder', () => {
  it('profiles numbers as decile bins and strings as top-K plus other', () => {
    const b = new ProfileBuilder({ topK: 2 });
    b.add(reference());
    const p = b.finish({ source: [{ path: 'ref.csv' }], createdAt: new Date(0) });
    // x: non-null values 1..10 → edges = deciles [1.9, 2.8, …, 9.1] (see binner.test.ts);
    //    each of the 10 bins holds one value: 1 < 1.9, 1.9 ≤ 2 < 2.8, …, 10 ≥ 9.1; 1 null of 11
    const x = p.features.x;
    expect(x.kind).toBe('numeric');
    if (x.kind !== 'numeric') return;
    expect(x.edges.map((e) => +e.toFixed(9))).toEqual([1.9, 2.8, 3.7, 4.6, 5.5, 6.4, 7.3, 8.2, 9.1]);
    expect(x.counts).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    expect([x.nulls, x.count, x.min, x.max]).toEqual([1, 11, 1, 10]);
    expect(x.nullRate).toBeCloseTo(1 / 11, 15);
    // s: a×4, b×3, c×2, d×1, null×1 → top 2 = [a, b]; other = c + d = 3
    expect(p.features.s).toEqual({ kind: 'categorical', categories: ['a', 'b'], counts: [4, 3, 3], nulls: 1, count: 11, nullRate: 1 / 11 });
    expect(validateProfile(JSON.parse(JSON.stringify(p)), 'profile.json')).toEqual(p);
  });

  it('profiles score outputs per column and their argmax class', () => {
    // scores [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]] with labels no/yes → argmax no, yes, no
    const b = new ProfileBuilder({}, [], { p: ['no', 'yes'] });
    b.add(batchOf({ x: vectorFromArray([1, 2, 3], new Float64()) }), { p: SCORES });
    const p = b.finish({ source: [] });
    expect(Object.keys(p.features)).toEqual([]);
    expect(Object.keys(p.outputs).sort()).toEqual(['p:class', 'p_no', 'p_yes']);
    expect(p.outputs['p:class']).toMatchObject({ categories: ['no', 'yes'], counts: [2, 1, 0] });
    expect(p.outputs.p_no).toMatchObject({ kind: 'numeric', count: 3, min: Math.fround(0.2), max: Math.fround(0.9) });
  });

  it('counts exactly in a second pass when the quantile sample holds fewer values than the data', () => {
    const rows = 1000;
    const batch = batchOf({ x: vectorFromArray(Array.from({ length: rows }, (_, i) => i % 100), new Float64()) });
    const b = new ProfileBuilder({ sampleSize: 50 });
    b.add(batch);
    expect(b.needsSecondPass()).toBe(true);
    b.add(batch);
    const x = b.finish({ source: [] }).features.x;
    if (x.kind !== 'numeric') throw new Error('numeric expected');
    expect(x.counts.reduce((s, n) => s + n, 0)).toBe(rows);
    expect(x.count).toBe(rows);
  });
});

describe('drift accumulation', () => {
  function profile(): ReferenceProfile {
    const b = new ProfileBuilder({ topK: 2 }, undefined, { p: ['no', 'yes'] });
    b.add(reference(), {});
    return b.finish({ source: [] });
  }

  it('counts a run into the profile bins; identical data has zero drift', () => {
    const p = profile();
    const acc = new DriftAccumulator(p, 'sha256:abc');
    acc.addBatch(reference());
    const h = acc.result();
    expect(h.features.x).toEqual(distribution(p.features.x));
    expect(h.features.s).toEqual(distribution(p.features.s));
    const r = driftReport(p, h);
    expect(r.features.x.psi).toBeCloseTo(0, 12);
    expect(r.features.s.js).toBe(0);
    expect(r.rows).toBe(11);
  });

  it('merges shard histograms into what one pass counts, and reports the most drifted column', () => {
    const p = profile();
    const whole = new DriftAccumulator(p, 'sha256:abc');
    const shards = [new DriftAccumulator(p, 'sha256:abc'), new DriftAccumulator(p, 'sha256:abc')];
    const shifted = batchOf({
      x: vectorFromArray([20, 20, 20, 1, null], new Float64()),
      s: vectorFromArray(['z', 'z', 'a', 'b', 'z'], new Utf8()),
    });
    for (const [i, batch] of [reference(), shifted, shifted].entries()) {
      whole.addBatch(batch);
      shards[i % 2].addBatch(batch);
    }
    const merged = mergeHistograms(shards.map((s) => s.result()))!;
    expect(merged).toEqual(whole.result());
    // x: reference bins [1×10, null 1]; run adds 6× 20 (last bin), 2× 1 (first bin), 2 nulls
    expect(merged.features.x).toEqual([3, 1, 1, 1, 1, 1, 1, 1, 1, 7, 3]);
    const r = driftReport(p, merged);
    expect(r.worst).toMatchObject({ section: 'features', column: 'x', psi: Math.max(r.features.x.psi!, r.features.s.psi!) });
    expect(r.features.x.psi).toBeGreaterThan(0.2);
    expect(() => mergeHistograms([shards[0].result(), { ...shards[1].result(), profile: 'sha256:other' }])).toThrow(/two profiles/);
  });

  it('counts dictionary-encoded strings and score outputs', () => {
    const dictType = new Dictionary(new Utf8(), new Int32());
    const dict = vectorFromArray(['a', 'b', 'z'], new Utf8());
    const s = makeData({ type: dictType, length: 4, nullCount: 0, data: Int32Array.from([0, 0, 1, 2]), dictionary: dict });
    const p = profile();
    const withOut = new ProfileBuilder({}, [], { p: ['no', 'yes'] });
    withOut.add(batchOf({ x: vectorFromArray([1, 2, 3], new Float64()) }), { p: SCORES });
    p.outputs = withOut.finish({ source: [] }).outputs;
    const acc = new DriftAccumulator(p, 'sha256:abc', { p: ['no', 'yes'] });
    acc.addColumns({}, 0);
    acc.addBatch(batchOf({ s: makeVector(s) as never }));
    acc.addOutputs({ p: SCORES }, 3);
    const h = acc.result();
    expect(h.features.s).toEqual([2, 1, 1, 0]); // a, a, b, z → a 2, b 1, other 1
    expect(h.outputs['p:class']).toEqual([2, 1, 0, 0]);
    expect(h.outputRows).toBe(3);
  });

  it('validation lists every problem with its path', () => {
    expect(() => validateProfile({ format: 'ortq-profile', schema: 2, features: { x: { kind: 'numeric', edges: [2, 1], counts: [1], nulls: 0 } }, outputs: {} }, 'm/profile.json'))
      .toThrow(/m\/profile.json: schema: must be 1.*features\.x\.edges/);
  });
});
