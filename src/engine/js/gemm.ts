/**
 * Reference sgemm for the TypeScript fallback: C = alpha * op(A) * op(B) + beta * C,
 * row-major, with strides. The inner loop runs over a contiguous row of B when B is not
 * transposed (i-k-j order), which keeps the fallback usable for small models.
 * Accumulation is in float64 (JS numbers) and rounded once to float32 on store.
 */
export function sgemmJs(
  transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number,
  A: Float32Array, lda: number, B: Float32Array, ldb: number, beta: number, C: Float32Array, ldc: number,
): void {
  const acc_N = new Float64Array(N);
  for (let i = 0; i < M; i++) {
    acc_N.fill(0);
    if (!transB) {
      for (let k = 0; k < K; k++) {
        const a = transA ? A[k * lda + i]! : A[i * lda + k]!;
        if (a === 0) continue;
        const bRow = k * ldb;
        for (let j = 0; j < N; j++) acc_N[j]! += a * B[bRow + j]!;
      }
    } else {
      for (let j = 0; j < N; j++) {
        let s = 0;
        const bRow = j * ldb;
        if (transA) for (let k = 0; k < K; k++) s += A[k * lda + i]! * B[bRow + k]!;
        else {
          const aRow = i * lda;
          for (let k = 0; k < K; k++) s += A[aRow + k]! * B[bRow + k]!;
        }
        acc_N[j] = s;
      }
    }
    const cRow = i * ldc;
    if (beta === 0) for (let j = 0; j < N; j++) C[cRow + j] = alpha * acc_N[j]!;
    else for (let j = 0; j < N; j++) C[cRow + j] = alpha * acc_N[j]! + beta * C[cRow + j]!;
  }
}
