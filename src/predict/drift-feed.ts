/**
 * Which drift histograms the inference thread counts. A batch the fast path
 * built column-major holds each plain float32 source column unchanged in the
 * feed (features.ts copyColumnMajor: one TypedArray.set), so the inference
 * thread, which has the feed and otherwise waits for the next batch, counts
 * those columns after replying (src/monitor/feed-counts.ts) while this
 * thread reads and assembles the next batch. Every other profiled column is
 * counted here from the Arrow batch, as before. The counts are the same
 * either way: the same values against the same NumericBinner.
 */
import { Precision, Type, type DataType, type RecordBatch, type Schema } from 'apache-arrow';
import type { FeedCountRequest } from '../monitor/feed-counts.js';
import type { DriftAccumulator } from '../monitor/histograms.js';
import { fixedListInfo, type InputSpec } from './feature-schema.js';
import type { FeatureBatch } from './features.js';
import type { SharedFeed } from './inference-thread.js';

/** What one batch asks the inference thread to count. */
export interface FeedCountPlan {
  requests: FeedCountRequest[];
  /** per request, the input column of each count the thread returns */
  names: string[][];
  /** every column in `names`: addBatch leaves them to the thread */
  columns: ReadonlySet<string>;
}

/** Plan ids by profile, feed and columns, shared by every shard of this process (the thread keeps a plan's edges by id). */
const planIds = new Map<string, number>();

/**
 * One feed's columns in a batch schema: the feed's width (values per row),
 * and the columns the thread may count (width 1, float32, profiled, first of
 * their name), each with its field index; null when a feature is missing.
 */
interface FeedLayout { width: number; candidates: Array<{ name: string; index: number; at: number }> }

function isFloat32(type: DataType): boolean {
  const t = type as unknown as { typeId: Type; precision?: Precision };
  return t.typeId === Type.Float && t.precision === Precision.SINGLE;
}

/** One feed's counted columns, with what plan() returns for them. */
interface FeedPlan { plan: number; columns: FeedCountRequest['columns']; names: string[]; taken: ReadonlySet<string> }

export class FeedCountPlanner {
  private readonly cache = new Map<string, FeedPlan>();
  /** per batch schema (the batches of one input share theirs), per feed: its layout, and its plan when every candidate is counted */
  private readonly layouts = new WeakMap<Schema, Map<string, { layout: FeedLayout; all: FeedPlan | null } | null>>();

  constructor(
    private readonly drift: DriftAccumulator,
    private readonly features: Record<string, string[]>,
    private readonly inputs: readonly InputSpec[],
    private readonly columnMajor: ReadonlySet<string>,
  ) {}

  /**
   * The counts the inference thread can make for this batch, or null (then
   * addBatch counts every column). `shared`: the batch goes to the thread as
   * shared columns (InferenceThread.runShared), which it copies into its own
   * `[k, rows]` feeds in the same order. Per batch this reads each counted
   * column's null count and nothing else (the layout is made once per
   * schema): building it for every batch cost 33 µs for 64 columns.
   */
  plan(batch: RecordBatch, fb: FeatureBatch, shared?: Record<string, SharedFeed> | null): FeedCountPlan | null {
    // valuesSeen is false only for a batch the fast column-major path built (or a shared one)
    if (fb.valuesSeen || fb.keep || fb.rows === 0 || fb.rows !== batch.numRows) return null;
    const rows = batch.numRows;
    const requests: FeedCountRequest[] = [];
    const names: string[][] = [];
    const feedPlans: FeedPlan[] = [];
    // columns an earlier feed counts (a column fed twice is counted once)
    const taken = new Set<string>();
    const children = batch.data.children;
    for (const spec of this.inputs) {
      // the feed's [k, rows]: the thread's own (shared) or the tensor built here
      const s = shared?.[spec.name];
      const t = s ? null : fb.tensors.get(spec.name);
      const dims = s ? (s.type === 'float32' ? [s.columns.length, s.rows] : null) : t && t.data instanceof Float32Array ? t.dims : null;
      if (spec.elemType !== 'float32' || !this.columnMajor.has(spec.name) || !dims) continue;
      const known = this.layout(batch.schema, spec.name);
      if (!known) return null;
      const { layout } = known;
      if (dims[0] !== layout.width || dims[1] !== rows) continue;
      let all = known.all !== null;
      for (const c of layout.candidates) {
        if (children[c.at].nullCount !== 0 || taken.has(c.name)) {
          all = false;
          break;
        }
      }
      const fp = all ? known.all : this.feedPlan(spec.name, layout.candidates.filter((c) => children[c.at].nullCount === 0 && !taken.has(c.name)));
      if (!fp) continue;
      if (this.inputs.length > 1) for (const n of fp.names) taken.add(n);
      requests.push({ plan: fp.plan, feed: spec.name, rows, columns: fp.columns });
      names.push(fp.names);
      feedPlans.push(fp);
    }
    if (requests.length === 0) return null;
    if (feedPlans.length === 1) return { requests, names, columns: feedPlans[0].taken };
    return { requests, names, columns: new Set(names.flat()) };
  }

  /** A feed's layout in a schema, and its plan with every candidate (null if none), made once per schema; null when a feature is missing. */
  private layout(schema: Schema, feed: string): { layout: FeedLayout; all: FeedPlan | null } | null {
    let bySchema = this.layouts.get(schema);
    if (!bySchema) this.layouts.set(schema, (bySchema = new Map()));
    let known = bySchema.get(feed);
    if (known !== undefined) return known;
    const at = new Map<string, number>();
    for (const [i, f] of schema.fields.entries()) if (!at.has(f.name)) at.set(f.name, i); // the first of a name, as getChild finds it
    const candidates: FeedLayout['candidates'] = [];
    let width = 0;
    known = null;
    findColumns: {
      for (const name of this.features[feed] ?? []) {
        const i = at.get(name);
        if (i === undefined) break findColumns;
        const type = schema.fields[i].type;
        const w = fixedListInfo(type)?.size ?? 1;
        if (w === 1 && isFloat32(type) && this.drift.featureEdges(name) && !candidates.some((c) => c.name === name)) candidates.push({ name, index: width, at: i });
        width += w;
      }
      known = { layout: { width, candidates }, all: this.feedPlan(feed, candidates) };
    }
    bySchema.set(feed, known);
    return known;
  }

  /** The plan of one feed's counted columns, by key (null for none). */
  private feedPlan(feed: string, cols: ReadonlyArray<{ name: string; index: number }>): FeedPlan | null {
    if (cols.length === 0) return null;
    const key = `${feed}\0${cols.map((c) => `${c.name}\0${c.index}`).join('\0')}`;
    let fp = this.cache.get(key);
    if (!fp) {
      const globalKey = `${this.drift.profile}\0${key}`;
      let plan = planIds.get(globalKey);
      if (plan === undefined) planIds.set(globalKey, (plan = planIds.size + 1));
      const columns = cols.map((c) => ({ index: c.index, edges: Array.from(this.drift.featureEdges(c.name)!) }));
      fp = { plan, columns, names: cols.map((c) => c.name), taken: new Set(cols.map((c) => c.name)) };
      this.cache.set(key, fp);
    }
    return fp;
  }

  /** Adds the counts the thread returned for a plan: per request, each column's bins and null slot, one after the other. */
  add(plan: FeedCountPlan, counted: Float64Array[]): void {
    plan.names.forEach((cols, i) => {
      let at = 0;
      for (const name of cols) {
        const n = this.drift.featureEdges(name)!.length + 2;
        this.drift.addFeatureCounts(name, counted[i].subarray(at, at + n));
        at += n;
      }
    });
  }
}
