/**
 * Builds a reference profile from batches of reference data and the model's
 * outputs on them. Pure: the caller reads the files and scores the rows
 * (see build-profile.ts), in one pass, or two when a numeric column holds
 * more values than the quantile sample (then `needsSecondPass()`).
 */
import type { RecordBatch } from 'apache-arrow';
import { arrowChunks, arrowColumnKind, outputColumns, type ColumnChunk, type ColumnKind, type TensorData } from './columns.js';
import { CategoricalStats, NumericStats } from './column-stats.js';
import {
  DEFAULT_PROFILE_SETTINGS, PROFILE_FORMAT, PROFILE_SCHEMA,
  type ColumnProfile, type ProfileSettings, type ReferenceProfile,
} from './profile.js';

type Stats = NumericStats | CategoricalStats;

class Section {
  readonly stats = new Map<string, Stats>();
  constructor(private readonly settings: ProfileSettings) {}

  observe(key: string, kind: ColumnKind, chunk: ColumnChunk): void {
    let s = this.stats.get(key);
    if (!s) {
      s = kind === 'numeric' ? new NumericStats(this.settings.sampleSize, this.settings.bins) : new CategoricalStats(this.settings.topK);
      this.stats.set(key, s);
    }
    s.observe(chunk);
  }

  fixEdges(): boolean {
    let again = false;
    for (const s of this.stats.values()) if (s instanceof NumericStats && s.fixEdges()) again = true;
    return again;
  }

  count(key: string, chunk: ColumnChunk): void {
    const s = this.stats.get(key);
    if (s instanceof NumericStats) s.countPass(chunk);
  }

  profiles(): Record<string, ColumnProfile> {
    return Object.fromEntries([...this.stats].map(([k, s]) => [k, s.profile()]));
  }
}

export class ProfileBuilder {
  readonly settings: ProfileSettings;
  private readonly features: Section;
  private readonly outputs: Section;
  private readonly skipped: Record<string, string> = {};
  private rows = 0;
  private pass: 1 | 2 = 1;
  private secondPass = false;

  /**
   * @param columns the input columns to profile (all scalar columns of the data when left out)
   * @param labels class labels per model output, naming score columns as the output files do
   */
  constructor(settings: Partial<ProfileSettings> = {}, private readonly columns?: string[], private readonly labels: Record<string, ArrayLike<string | number>> = {}) {
    this.settings = { ...DEFAULT_PROFILE_SETTINGS, ...settings };
    this.features = new Section(this.settings);
    this.outputs = new Section(this.settings);
  }

  /**
   * Feeds one batch of reference data and, when there is a model, its outputs
   * on those rows (`outputRows` of them: fewer when rows with nulls were not scored).
   */
  add(batch: RecordBatch, outputs?: Record<string, TensorData>, outputRows = batch.numRows): void {
    const names = this.columns ?? batch.schema.fields.map((f) => f.name);
    for (const name of names) {
      const vec = batch.getChild(name);
      if (!vec) continue;
      const kind = arrowColumnKind(vec.type);
      if (!kind) {
        this.skipped[name] = `type ${String(vec.type)} is neither numeric nor string`;
        continue;
      }
      for (const chunk of arrowChunks(vec)) {
        if (this.pass === 1) this.features.observe(name, kind, chunk);
        else this.features.count(name, chunk);
      }
    }
    for (const [name, tensor] of Object.entries(outputs ?? {})) {
      for (const col of outputColumns(name, tensor, outputRows, this.labels[name])) {
        if (this.pass === 1) this.outputs.observe(col.key, col.kind, col.chunk);
        else this.outputs.count(col.key, col.chunk);
      }
    }
    if (this.pass === 1) this.rows += batch.numRows;
  }

  /**
   * Ends the first pass and fixes every bin edge. True when the same batches
   * (and outputs) must be fed again with add() to count the bins exactly.
   */
  needsSecondPass(): boolean {
    if (this.pass === 1) {
      const a = this.features.fixEdges();
      const b = this.outputs.fixEdges();
      this.secondPass = a || b;
      this.pass = 2;
    }
    return this.secondPass;
  }

  finish(meta: { source: ReferenceProfile['source']['files']; model?: ReferenceProfile['model']; createdAt?: Date }): ReferenceProfile {
    this.needsSecondPass();
    return {
      format: PROFILE_FORMAT,
      schema: PROFILE_SCHEMA,
      createdAt: (meta.createdAt ?? new Date()).toISOString(),
      ...(meta.model ? { model: meta.model } : {}),
      source: { files: meta.source, rows: this.rows },
      settings: this.settings,
      features: this.features.profiles(),
      outputs: this.outputs.profiles(),
      ...(Object.keys(this.skipped).length > 0 ? { skipped: this.skipped } : {}),
    };
  }
}
