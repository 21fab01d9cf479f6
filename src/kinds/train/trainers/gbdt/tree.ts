/**
 * One fitted tree in flat arrays, node 0 the root. An internal node sends
 * x to `left` when `x <= threshold` (x rounded to float32, which the ONNX
 * input is) and NaN to `left` when `missingLeft`; `left[i] < 0` marks a leaf,
 * whose output is `value[i]` (learning rate already applied).
 */
export interface Tree {
  nodes: number;
  feature: Int32Array;
  /** split bin: bins <= bin go left (training's view of `threshold`) */
  bin: Int32Array;
  /** a float32 value, or +Infinity for "all non-missing left" */
  threshold: Float64Array;
  missingLeft: Uint8Array;
  left: Int32Array;
  right: Int32Array;
  value: Float64Array;
}

export function allocTree(nodes: number): Tree {
  return {
    nodes,
    feature: new Int32Array(nodes),
    bin: new Int32Array(nodes),
    threshold: new Float64Array(nodes),
    missingLeft: new Uint8Array(nodes),
    left: new Int32Array(nodes).fill(-1),
    right: new Int32Array(nodes).fill(-1),
    value: new Float64Array(nodes),
  };
}

/** Adds the tree's output for rows 0..n-1 of raw `columns` to `out[offset + i]`. */
export function addRaw(t: Tree, columns: Float64Array[], n: number, out: Float64Array, offset: number): void {
  for (let i = 0; i < n; i++) {
    let node = 0;
    while (t.left[node] >= 0) {
      const x = Math.fround(columns[t.feature[node]][i]);
      const goLeft = x !== x ? t.missingLeft[node] === 1 : x <= t.threshold[node];
      node = goLeft ? t.left[node] : t.right[node];
    }
    out[offset + i] += t.value[node];
  }
}

/** The same on bin codes (validation rows during early stopping). */
export function addBinned(t: Tree, bins: Uint8Array[], missingBin: number, n: number, out: Float64Array, offset: number): void {
  for (let i = 0; i < n; i++) {
    let node = 0;
    while (t.left[node] >= 0) {
      const b = bins[t.feature[node]][i];
      const goLeft = b === missingBin ? t.missingLeft[node] === 1 : b <= t.bin[node];
      node = goLeft ? t.left[node] : t.right[node];
    }
    out[offset + i] += t.value[node];
  }
}
