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
import { Precision, Type, type RecordBatch, type Vector } from 'apache-arrow';
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

function isPlainFloat32(vec: Vector): boolean {
  const t = vec.type as unknown as { typeId: Type; precision?: Precision };
  return t.typeId === Type.Float && t.precision === Precision.SINGLE && vec.data.length === 1 && vec.nullCount === 0;
}

export class FeedCountPlanner {
  private readonly cache = new Map<string, { plan: number; columns: FeedCountRequest['columns'] }>();

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
   * `[k, rows]` feeds in the same order.
   */
  plan(batch: RecordBatch, fb: FeatureBatch, shared?: Record<string, SharedFeed> | null): FeedCountPlan | null {
    // valuesSeen is false only for a batch the fast column-major path built (or a shared one)
    if (fb.valuesSeen || fb.keep || fb.rows === 0 || fb.rows !== batch.numRows) return null;
    const rows = batch.numRows;
    const requests: FeedCountRequest[] = [];
    const names: string[][] = [];
    const taken = new Set<string>();
    for (const spec of this.inputs) {
      // the feed's [k, rows]: the thread's own (shared) or the tensor built here
      const s = shared?.[spec.name];
      const t = s ? null : fb.tensors.get(spec.name);
      const dims = s ? (s.type === 'float32' ? [s.columns.length, s.rows] : null) : t && t.data instanceof Float32Array ? t.dims : null;
      if (spec.elemType !== 'float32' || !this.columnMajor.has(spec.name) || !dims) continue;
      const cols: Array<{ name: string; index: number }> = [];
      const here = new Set<string>();
      let index = 0;
      for (const name of this.features[spec.name] ?? []) {
        const vec = batch.getChild(name);
        if (!vec) return null;
        const width = fixedListInfo(vec.type)?.size ?? 1;
        if (width === 1 && !taken.has(name) && !here.has(name) && isPlainFloat32(vec) && this.drift.featureEdges(name)) {
          cols.push({ name, index });
          here.add(name);
        }
        index += width;
      }
      if (dims[0] !== index || dims[1] !== rows || cols.length === 0) continue;
      for (const c of cols) taken.add(c.name);
      const key = `${spec.name}\0${cols.map((c) => `${c.name}\0${c.index}`).join('\0')}`;
      let cached = this.cache.get(key);
      if (!cached) {
        const globalKey = `${this.drift.profile}\0${key}`;
        let plan = planIds.get(globalKey);
        if (plan === undefined) planIds.set(globalKey, (plan = planIds.size + 1));
        cached = { plan, columns: cols.map((c) => ({ index: c.index, edges: Array.from(this.drift.featureEdges(c.name)!) })) };
        this.cache.set(key, cached);
      }
      requests.push({ plan: cached.plan, feed: spec.name, rows, columns: cached.columns });
      names.push(cols.map((c) => c.name));
    }
    return requests.length > 0 ? { requests, names, columns: taken } : null;
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
