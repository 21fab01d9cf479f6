/**
 * Per-column statistics gathered while a reference profile is built: a
 * seeded reservoir sample, min/max and null counts for numbers, exact
 * category counts for strings and labels.
 */
import { NumericBinner, quantileEdges } from './binner.js';
import type { ColumnChunk } from './columns.js';
import { categoryText, countNumericChunk } from './counting.js';
import type { CategoricalProfile, NumericProfile } from './profile.js';

function isValidAt(chunk: ColumnChunk, r: number): boolean {
  const v = chunk.kind === 'values' ? null : chunk.validity;
  if (!v) return true;
  const bit = v.bitOffset + r;
  return (v.bits[bit >> 3] & (1 << (bit & 7))) !== 0;
}

/** Calls `fn` with each value of a chunk: the raw value, or null for a null. */
function forEachValue(chunk: ColumnChunk, fn: (v: unknown) => void): void {
  for (let r = 0; r < chunk.length; r++) {
    if (!isValidAt(chunk, r)) { fn(null); continue; }
    if (chunk.kind === 'numbers') fn(chunk.values[chunk.offset + r * chunk.stride]);
    else if (chunk.kind === 'codes') fn(chunk.labels[chunk.codes[r]]);
    else fn(chunk.get(r));
  }
}

function toNumber(v: unknown): number {
  if (v === null || v === undefined) return NaN;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  return Number(v);
}

/** mulberry32: a small seeded generator, so the same data always gives the same profile. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A numeric column. Bin edges are the quantiles of the non-null values, or
 * of a uniform reservoir sample of `sampleSize` of them when there are more
 * (Algorithm R, seeded): then a second pass counts the bins exactly.
 */
export class NumericStats {
  private count = 0;
  private nulls = 0;
  private min = Infinity;
  private max = -Infinity;
  private seen = 0;
  private readonly sample: Float64Array;
  private readonly random = seededRandom(0x5eed);
  private binner: NumericBinner | null = null;
  private counts: Float64Array | null = null;

  constructor(private readonly sampleSize: number, private readonly bins: number) {
    this.sample = new Float64Array(sampleSize);
  }

  observe(chunk: ColumnChunk): void {
    forEachValue(chunk, (v) => {
      this.count++;
      const x = toNumber(v);
      if (x !== x) { this.nulls++; return; }
      if (x < this.min) this.min = x;
      if (x > this.max) this.max = x;
      if (this.seen < this.sampleSize) this.sample[this.seen] = x;
      else {
        const j = Math.floor(this.random() * (this.seen + 1));
        if (j < this.sampleSize) this.sample[j] = x;
      }
      this.seen++;
    });
  }

  /** Fixes the edges; true when the bins must be counted in a second pass (the sample is not every value). */
  fixEdges(): boolean {
    const kept = this.sample.slice(0, Math.min(this.seen, this.sampleSize)).sort();
    this.binner = new NumericBinner(quantileEdges(kept, this.bins));
    this.counts = new Float64Array(this.binner.bins + 1);
    if (this.seen <= this.sampleSize) {
      this.binner.count(kept, kept.length, this.counts);
      return false;
    }
    return true;
  }

  /** Second pass: counts a chunk into the fixed bins. */
  countPass(chunk: ColumnChunk): void {
    countNumericChunk(this.binner!, chunk, this.counts!);
  }

  profile(): NumericProfile {
    if (!this.binner || !this.counts) this.fixEdges();
    return {
      kind: 'numeric',
      edges: Array.from(this.binner!.edges),
      counts: Array.from(this.counts!.subarray(0, this.binner!.bins)),
      nulls: this.nulls,
      count: this.count,
      nullRate: this.count > 0 ? this.nulls / this.count : 0,
      min: this.seen > 0 ? this.min : null,
      max: this.seen > 0 ? this.max : null,
    };
  }
}

/** Distinct values tracked per categorical column; values first seen beyond this count as "other". */
const MAX_DISTINCT = 100_000;

/** A categorical column: exact counts per value (up to MAX_DISTINCT distinct values), top-K kept. */
export class CategoricalStats {
  private count = 0;
  private nulls = 0;
  private untracked = 0;
  private readonly counts = new Map<string, number>();

  constructor(private readonly topK: number) {}

  observe(chunk: ColumnChunk): void {
    forEachValue(chunk, (v) => {
      this.count++;
      if (v === null || v === undefined || (typeof v === 'number' && v !== v)) { this.nulls++; return; }
      const key = categoryText(v);
      const n = this.counts.get(key);
      if (n !== undefined) this.counts.set(key, n + 1);
      else if (this.counts.size < MAX_DISTINCT) this.counts.set(key, 1);
      else this.untracked++;
    });
  }

  profile(): CategoricalProfile {
    const ranked = [...this.counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const top = ranked.slice(0, this.topK);
    const other = ranked.slice(this.topK).reduce((s, [, n]) => s + n, this.untracked);
    return {
      kind: 'categorical',
      categories: top.map(([k]) => k),
      counts: [...top.map(([, n]) => n), other],
      nulls: this.nulls,
      count: this.count,
      nullRate: this.count > 0 ? this.nulls / this.count : 0,
    };
  }
}
