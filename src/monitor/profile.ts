/**
 * The reference profile of a model version (`profile.json`): what its inputs
 * and outputs looked like on reference data, as fixed bins that every later
 * prediction run counts into. Types and validation only: no I/O here.
 */
import { OrtqError } from '../errors.js';

/** `format` of profile.json; `schema` bumps when the shape changes incompatibly. */
export const PROFILE_FORMAT = 'ortq-profile';
export const PROFILE_SCHEMA = 1;
/** The file name a profile is stored under in a model version folder. */
export const PROFILE_FILE = 'profile.json';

/**
 * A numeric column: `edges` are the inner edges (deciles of the reference
 * data, repeated values dropped); the bins are (−∞, e0), [e0, e1), …,
 * [e_last, +∞), so `counts.length === edges.length + 1`. JSON cannot hold
 * ±∞, so the outer edges are implied. NaN counts as null.
 */
export interface NumericProfile {
  kind: 'numeric';
  edges: number[];
  counts: number[];
  /** null or NaN values */
  nulls: number;
  /** all values, nulls included */
  count: number;
  /** nulls / count (0 when count is 0) */
  nullRate: number;
  /** over non-null values; null when there were none */
  min: number | null;
  max: number | null;
}

/**
 * A categorical column (strings, or a model's predicted labels): the top-K
 * categories by count (ties by name), then "other" for every other value:
 * `counts.length === categories.length + 1`.
 */
export interface CategoricalProfile {
  kind: 'categorical';
  categories: string[];
  counts: number[];
  nulls: number;
  count: number;
  nullRate: number;
}

export type ColumnProfile = NumericProfile | CategoricalProfile;

export interface ProfileSettings {
  /** number of quantile bins for numeric columns @defaultValue 10 (deciles) */
  bins: number;
  /** categories kept per categorical column @defaultValue 20 */
  topK: number;
  /** values per numeric column the quantiles are taken from (a seeded reservoir sample beyond that) @defaultValue 100000 */
  sampleSize: number;
}

export const DEFAULT_PROFILE_SETTINGS: Readonly<ProfileSettings> = Object.freeze({ bins: 10, topK: 20, sampleSize: 100_000 });

export interface ReferenceProfile {
  format: typeof PROFILE_FORMAT;
  schema: typeof PROFILE_SCHEMA;
  createdAt: string;
  /** the model version the outputs were scored with, when there is one */
  model?: { name: string; version: string; digest: string };
  /**
   * the reference data: files (with their digest where known, `<algorithm>:<hex>`,
   * src/io/digest.ts; profiles written before xxh3-64 hold a bare hex `sha256`) and rows read
   */
  source: { files: Array<{ path: string; digest?: string; sha256?: string }>; rows: number };
  settings: ProfileSettings;
  /** input columns by column name */
  features: Record<string, ColumnProfile>;
  /**
   * Model outputs by column: `<output>` for a one-value output,
   * `<output>_<label or index>` per score column of an [N, K] output (as in
   * the output files), and `<output>:class` for its argmax (the predicted class).
   */
  outputs: Record<string, ColumnProfile>;
  /** columns that were not profiled and why (e.g. a list column) */
  skipped?: Record<string, string>;
}

/** The bin counts with the null count appended: the distribution drift is measured on. */
export function distribution(p: ColumnProfile): number[] {
  return [...p.counts, p.nulls];
}

function problemsOfColumn(path: string, c: ColumnProfile, out: string[]): void {
  if (!c || typeof c !== 'object') { out.push(`${path}: must be an object`); return; }
  const counts = Array.isArray(c.counts) && c.counts.every((n) => Number.isFinite(n) && n >= 0);
  if (!counts) out.push(`${path}.counts: must be an array of counts ≥ 0`);
  if (!(Number.isFinite(c.nulls) && c.nulls >= 0)) out.push(`${path}.nulls: must be a count ≥ 0`);
  if (c.kind === 'numeric') {
    const e = c.edges;
    if (!Array.isArray(e) || !e.every((x, i) => Number.isFinite(x) && (i === 0 || x > e[i - 1]))) {
      out.push(`${path}.edges: must be finite numbers in strictly increasing order`);
    } else if (counts && c.counts.length !== e.length + 1) {
      out.push(`${path}.counts: has ${c.counts.length} bins, edges make ${e.length + 1}`);
    }
  } else if (c.kind === 'categorical') {
    if (!Array.isArray(c.categories) || !c.categories.every((x) => typeof x === 'string')) out.push(`${path}.categories: must be an array of strings`);
    else if (counts && c.counts.length !== c.categories.length + 1) out.push(`${path}.counts: has ${c.counts.length} entries, categories + "other" make ${c.categories.length + 1}`);
  } else {
    out.push(`${path}.kind: must be "numeric" or "categorical"`);
  }
}

/**
 * Checks a parsed profile.json; every problem is listed with its dotted
 * path. `where` names the file in the message.
 */
export function validateProfile(value: unknown, where: string): ReferenceProfile {
  const problems: string[] = [];
  const p = value as ReferenceProfile;
  if (!p || typeof p !== 'object') problems.push('the profile must be a JSON object');
  else {
    if (p.format !== PROFILE_FORMAT) problems.push(`format: must be "${PROFILE_FORMAT}"`);
    if (p.schema !== PROFILE_SCHEMA) problems.push(`schema: must be ${PROFILE_SCHEMA} (this ortq reads profile schema ${PROFILE_SCHEMA}), got ${JSON.stringify(p.schema)}`);
    for (const section of ['features', 'outputs'] as const) {
      const cols = p[section];
      if (!cols || typeof cols !== 'object') { problems.push(`${section}: must be an object`); continue; }
      for (const [name, c] of Object.entries(cols)) problemsOfColumn(`${section}.${name}`, c, problems);
    }
  }
  if (problems.length > 0) {
    throw new OrtqError('ORTQ_PROFILE_INVALID', `${where}: ${problems.join('; ')}`, { file: where, problems });
  }
  return p;
}
