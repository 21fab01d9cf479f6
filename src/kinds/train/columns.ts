import { Type, type Vector } from 'apache-arrow';

/** Grows a Float64 column chunk by chunk; one copy at the end. */
export class Float64Column {
  private chunks: Float64Array[] = [];
  length = 0;

  push(chunk: Float64Array): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  finish(): Float64Array {
    if (this.chunks.length === 1) return this.chunks[0];
    const out = new Float64Array(this.length);
    let o = 0;
    for (const c of this.chunks) { out.set(c, o); o += c.length; }
    this.chunks = [out];
    return out;
  }
}

export function isStringVector(vec: Vector): boolean {
  const t = vec.type;
  if (t.typeId === Type.Utf8 || t.typeId === Type.LargeUtf8) return true;
  return t.typeId === Type.Dictionary;
}

export function isNumericVector(vec: Vector): boolean {
  const id = vec.type.typeId;
  return id === Type.Int || id === Type.Float || id === Type.Bool;
}

/**
 * A numeric column of one batch as float64, nulls as NaN. Plain float and
 * ≤32-bit int layouts are copied from their value buffer; the rest go through get().
 */
export function toFloat64(vec: Vector): Float64Array {
  const n = vec.length;
  const out = new Float64Array(n);
  const t = vec.type as unknown as { typeId: Type; precision?: number; bitWidth?: number };
  const plain = vec.data.length === 1 && vec.nullCount === 0 &&
    ((t.typeId === Type.Float && t.precision !== 0) || (t.typeId === Type.Int && (t.bitWidth ?? 64) <= 32));
  if (plain) {
    out.set((vec.data[0].values as Float64Array).subarray(0, n));
    return out;
  }
  for (let i = 0; i < n; i++) {
    if (vec.nullCount !== 0 && !vec.isValid(i)) { out[i] = NaN; continue; }
    const v = vec.get(i) as unknown;
    out[i] = typeof v === 'bigint' ? Number(v) : typeof v === 'boolean' ? (v ? 1 : 0) : Number(v);
  }
  return out;
}

/** Seeded 32-bit PRNG (mulberry32): the same seed gives the same split on every machine. */
export function mulberry32(seed: number): () => number {
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
 * Which rows go to eval: a seeded shuffle of 0..n-1 whose first
 * round(fraction · n) rows are held out (at least 1 when n ≥ 2, at most n - 1).
 */
export function splitMask(n: number, fraction: number, seed: number): Uint8Array {
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  const rnd = mulberry32(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    const t = idx[i]; idx[i] = idx[j]; idx[j] = t;
  }
  const take = n < 2 ? 0 : Math.min(n - 1, Math.max(1, Math.round(fraction * n)));
  const mask = new Uint8Array(n);
  for (let i = 0; i < take; i++) mask[idx[i]] = 1;
  return mask;
}
