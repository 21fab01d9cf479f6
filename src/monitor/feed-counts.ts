/**
 * Drift counting of input columns straight from a model feed, on the
 * inference thread. A batch the fast path built column-major (`[k, rows]`,
 * src/predict/features.ts) holds each float32 source column unchanged as one
 * contiguous run of the feed, so the thread that already has the feed counts
 * it after replying with the outputs, while the caller's thread reads and
 * assembles the next batch. The counts are exactly those the caller would
 * have counted from the Arrow column (the same NumericBinner).
 */
import { OrtqError } from '../errors.js';
import { NumericBinner } from './binner.js';
import { packColumns, simdBins, type PackedColumns } from './simd-bins.js';

/** One column of a feed: its index in the feed's first dimension and its profile's inner edges. */
export interface FeedColumn { index: number; edges: number[] }

/**
 * What to count in one feed. `plan` names a column list the thread keeps:
 * `columns` is sent with a plan's first request only.
 */
export interface FeedCountRequest { plan: number; feed: string; rows: number; columns?: FeedColumn[] }

/**
 * The counts of a request's plan in one array (one buffer to transfer per
 * batch, not one per column): each column's bins then its null slot (NaN),
 * columns in the plan's order, each `edges.length + 2` long.
 */
export type FeedCounts = Float64Array;

interface Plan {
  columns: Array<{ index: number; binner: NumericBinner }>;
  /** every column for the native kernel's one call per feed (null: a column has more edges than it takes) */
  packed: PackedColumns | null;
  /** values in `out`: each column's bins and null slot */
  size: number;
}

/** The inference thread's side: plans by id, each column's binner made once. */
export class FeedCounter {
  private readonly plans = new Map<number, Plan>();

  /**
   * Keeps the plan a request carries. Called as each request arrives, before
   * it is run: the caller sends a plan's columns once, so a request that then
   * fails (onnxruntime refused its batch) must not take the plan with it.
   */
  learn(req: FeedCountRequest): void {
    if (!req.columns || this.plans.has(req.plan)) return;
    const columns = req.columns.map((c) => ({ index: c.index, binner: new NumericBinner(c.edges) }));
    const packable = columns.every((c) => c.binner.simd !== null);
    this.plans.set(req.plan, {
      columns,
      packed: packable ? packColumns(columns.map((c) => ({ index: c.index, edges: c.binner.simd! }))) : null,
      size: columns.reduce((n, c) => n + c.binner.bins + 1, 0),
    });
  }

  /** `finite`: the model's check of this feed (the sum of its values) was finite, so no value is NaN */
  count(req: FeedCountRequest, data: unknown, finite = false): FeedCounts {
    this.learn(req);
    const plan = this.plans.get(req.plan);
    if (!plan) throw new OrtqError('ORTQ_INTERNAL', `drift count plan ${req.plan} was never sent to this thread`);
    if (!(data instanceof Float32Array)) throw new OrtqError('ORTQ_INTERNAL', `drift counts of feed ${req.feed}: expected float32 data`);
    const { rows } = req;
    const out = new Float64Array(plan.size);
    for (const { index } of plan.columns) {
      if ((index + 1) * rows > data.length) throw new OrtqError('ORTQ_INTERNAL', `drift counts of feed ${req.feed}: column ${index} is beyond its ${data.length} values`);
    }
    // the native kernel: every column in one call; else column by column (the same counts)
    if (plan.packed && simdBins()?.countColumns(data, rows, plan.packed, out, finite)) return out;
    let at = 0;
    for (const { index, binner } of plan.columns) {
      binner.count(data.subarray(index * rows, (index + 1) * rows), rows, out.subarray(at, at + binner.bins + 1), 1, 0, finite);
      at += binner.bins + 1;
    }
    return out;
  }
}
