/**
 * Best split of a node from its histogram, as scikit-learn's `Splitter`:
 * for each feature a left-to-right scan over the non-missing bins (missing
 * values go right) and, where the feature had missing values in training, a
 * right-to-left scan (missing values go left). Gain is the loss reduction
 * `G_L²/(H_L+λ) + G_R²/(H_R+λ) - G²/(H+λ)` written through the node values;
 * ties keep the first feature and bin found.
 */

const MIN_HESSIAN_TO_SPLIT = 1e-3;

export interface SplitContext {
  nBinsNonMissing: Int32Array;
  hasMissing: Uint8Array;
  missingBin: number;
  /** bins per feature in a histogram, missing bin included */
  stride: number;
  minSamplesLeaf: number;
  l2: number;
  constantHessian: boolean;
  /** doubles per histogram bin (histogram.ts): 2 with a constant hessian, else 3 */
  width: number;
}

/** A reused record (no allocation per node). gain <= 0: no valid split. */
export class SplitOut {
  gain = -1;
  feature = -1;
  bin = 0;
  missingLeft = 0;
  gL = 0;
  hL = 0;
  nL = 0;
}

export function nodeValue(sumG: number, sumH: number, l2: number): number {
  return -sumG / (sumH + l2 + 1e-15);
}

export function findSplit(ctx: SplitContext, hist: Float64Array, n: number, sumG: number, sumH: number, value: number, out: SplitOut): void {
  out.gain = -1;
  out.feature = -1;
  const { minSamplesLeaf: msl, l2, constantHessian: ch, width: w } = ctx;
  const lossNode = sumG * value;
  const features = ctx.nBinsNonMissing.length;
  for (let f = 0; f < features; f++) {
    const base = f * ctx.stride * w;
    const nbnm = ctx.nBinsNonMissing[f];
    const missing = ctx.hasMissing[f];
    // left to right: the last non-missing bin goes left only when missing values can go right
    const end = nbnm - 1 + missing;
    let gL = 0;
    let hL = 0;
    let nL = 0;
    let bestGain = -1;
    let bestBin = -1;
    let bestG = 0;
    let bestH = 0;
    let bestN = 0;
    let bestMissingLeft = 0;
    for (let b = 0; b < end; b++) {
      const k = base + b * w;
      if (hist[k + 1] === 0) continue; // an empty bin splits as its left neighbour did
      nL += hist[k + 1];
      hL += ch ? hist[k + 1] : hist[k + 2];
      gL += hist[k];
      const nR = n - nL;
      const hR = sumH - hL;
      if (nL < msl) continue;
      if (nR < msl) break;
      if (hL < MIN_HESSIAN_TO_SPLIT) continue;
      if (hR < MIN_HESSIAN_TO_SPLIT) break;
      const gR = sumG - gL;
      const gain = lossNode - gL * nodeValue(gL, hL, l2) - gR * nodeValue(gR, hR, l2);
      if (gain > bestGain && gain > 0) {
        bestGain = gain; bestBin = b; bestG = gL; bestH = hL; bestN = nL;
      }
    }
    if (missing) {
      let gR = 0;
      let hR = 0;
      let nR = 0;
      for (let b = nbnm - 2; b >= 0; b--) {
        const k = base + (b + 1) * w;
        if (hist[k + 1] === 0) continue;
        nR += hist[k + 1];
        hR += ch ? hist[k + 1] : hist[k + 2];
        gR += hist[k];
        const nLeft = n - nR;
        const hLeft = sumH - hR;
        if (nR < msl) continue;
        if (nLeft < msl) break;
        if (hR < MIN_HESSIAN_TO_SPLIT) continue;
        if (hLeft < MIN_HESSIAN_TO_SPLIT) break;
        const gLeft = sumG - gR;
        const gain = lossNode - gLeft * nodeValue(gLeft, hLeft, l2) - gR * nodeValue(gR, hR, l2);
        if (gain > bestGain && gain > 0) {
          bestGain = gain; bestBin = b; bestG = gLeft; bestH = hLeft; bestN = nLeft; bestMissingLeft = 1;
        }
      }
    }
    if (bestBin >= 0 && bestGain > out.gain) {
      out.gain = bestGain;
      out.feature = f;
      out.bin = bestBin;
      out.missingLeft = bestMissingLeft;
      out.gL = bestG;
      out.hL = bestH;
      out.nL = bestN;
    }
  }
}
