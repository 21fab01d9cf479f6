/**
 * Counting column chunks into a profile's bins: numbers through a
 * NumericBinner, categories through CategorySlots. Counts arrays hold the
 * bins then one null slot.
 */
import type { NumericBinner } from './binner.js';
import type { ColumnChunk } from './columns.js';

/** The text a category is compared by: strings as they are, anything else through String(). */
export function categoryText(v: unknown): string {
  return typeof v === 'string' ? v : String(v);
}

/** Cached raw values (strings, bigints, numbers) per column; beyond this, values are looked up by text only. */
const CACHE_LIMIT = 10_000;

/** Maps values to category slots: the index in `categories`, or `categories.length` ("other"). */
export class CategorySlots {
  readonly other: number;
  private readonly byText: Map<string, number>;
  private readonly cache = new Map<unknown, number>();

  constructor(categories: readonly string[]) {
    this.other = categories.length;
    this.byText = new Map(categories.map((c, i) => [c, i]));
  }

  slotOf(v: unknown): number {
    const hit = this.cache.get(v);
    if (hit !== undefined) return hit;
    const slot = this.byText.get(categoryText(v)) ?? this.other;
    if (this.cache.size < CACHE_LIMIT) this.cache.set(v, slot);
    return slot;
  }
}

function isValidAt(validity: { bits: Uint8Array; bitOffset: number }, r: number): boolean {
  const bit = validity.bitOffset + r;
  return (validity.bits[bit >> 3] & (1 << (bit & 7))) !== 0;
}

function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  return Number(v);
}

/** Adds a chunk to numeric counts (length binner.bins + 1). */
export function countNumericChunk(binner: NumericBinner, chunk: ColumnChunk, counts: Float64Array): void {
  if (chunk.kind === 'numbers') {
    if (chunk.validity && chunk.stride === 1 && chunk.offset === 0) {
      binner.countValid(chunk.values, chunk.length, counts, chunk.validity.bits, chunk.validity.bitOffset);
    } else {
      binner.count(chunk.values, chunk.length, counts, chunk.stride, chunk.offset);
    }
    return;
  }
  let nulls = 0;
  for (let r = 0; r < chunk.length; r++) {
    let v: unknown;
    if (chunk.kind === 'codes') {
      if (chunk.validity && !isValidAt(chunk.validity, r)) { nulls++; continue; }
      v = chunk.labels[chunk.codes[r]];
    } else {
      v = chunk.get(r);
    }
    const x = v === null || v === undefined ? NaN : toNumber(v);
    if (x !== x) { nulls++; continue; }
    counts[binner.binOf(x)]++;
  }
  counts[binner.bins] += nulls;
}

/** Adds a chunk to categorical counts (length slots.other + 2: categories, other, nulls). */
export function countCategoricalChunk(slots: CategorySlots, chunk: ColumnChunk, counts: Float64Array): void {
  const nullSlot = slots.other + 1;
  if (chunk.kind === 'codes') {
    // one lookup per distinct code, then plain integer counting
    const map = new Int32Array(chunk.labels.length);
    for (let i = 0; i < map.length; i++) map[i] = slots.slotOf(chunk.labels[i]);
    const { codes, validity } = chunk;
    for (let r = 0; r < chunk.length; r++) {
      if (validity && !isValidAt(validity, r)) counts[nullSlot]++;
      else counts[map[codes[r]]]++;
    }
    return;
  }
  for (let r = 0; r < chunk.length; r++) {
    let v: unknown;
    if (chunk.kind === 'numbers') {
      if (chunk.validity && !isValidAt(chunk.validity, r)) { counts[nullSlot]++; continue; }
      v = chunk.values[chunk.offset + r * chunk.stride];
      if (v !== v) { counts[nullSlot]++; continue; }
    } else {
      v = chunk.get(r);
    }
    if (v === null || v === undefined) counts[nullSlot]++;
    else counts[slots.slotOf(v)]++;
  }
}
