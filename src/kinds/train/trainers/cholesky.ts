/**
 * Solves A x = b for a symmetric positive definite A (d × d, row-major) by
 * Cholesky factorization, in place in `A`. Returns false when A is not
 * positive definite (a zero or negative pivot).
 */
export function choleskySolve(A: Float64Array, b: Float64Array, d: number): boolean {
  for (let j = 0; j < d; j++) {
    let diag = A[j * d + j];
    for (let k = 0; k < j; k++) diag -= A[j * d + k] * A[j * d + k];
    if (!(diag > 0)) return false;
    const ljj = Math.sqrt(diag);
    A[j * d + j] = ljj;
    for (let i = j + 1; i < d; i++) {
      let s = A[i * d + j];
      for (let k = 0; k < j; k++) s -= A[i * d + k] * A[j * d + k];
      A[i * d + j] = s / ljj;
    }
  }
  // L y = b, then Lᵀ x = y
  for (let i = 0; i < d; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= A[i * d + k] * b[k];
    b[i] = s / A[i * d + i];
  }
  for (let i = d - 1; i >= 0; i--) {
    let s = b[i];
    for (let k = i + 1; k < d; k++) s -= A[k * d + i] * b[k];
    b[i] = s / A[i * d + i];
  }
  return true;
}
