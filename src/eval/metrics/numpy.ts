/**
 * NumPy's float64 summation order, for reference code that averages with `np.mean`
 * (LongBench-E `scorer_e`).
 * `np.add.reduce` over a contiguous float64 array is NumPy's
 * pairwise sum (`pairwise_sum_DOUBLE`: plain loop below 8 items, 8 interleaved
 * accumulators up to 128, halving above; checked against NumPy 2.4 on random arrays of
 * 3–20,000 items); `np.mean` divides the sum by n. A left-to-right loop differs in the last bits, which `round(·, 2)` can show.
 */

function pairwise(a: readonly number[], start: number, n: number): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[start + i] as number;
    return res;
  }
  if (n <= 128) {
    const r = new Float64Array(8);
    for (let j = 0; j < 8; j++) r[j] = a[start + j] as number;
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] = (r[j] as number) + (a[start + i + j] as number);
    let res = ((r[0]! + r[1]!) + (r[2]! + r[3]!)) + ((r[4]! + r[5]!) + (r[6]! + r[7]!));
    for (; i < n; i++) res += a[start + i] as number;
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwise(a, start, n2) + pairwise(a, start + n2, n - n2);
}

/** `np.sum` of a 1-D float64 array (0 for an empty one). */
export function npSum(a_N: readonly number[]): number {
  return pairwise(a_N, 0, a_N.length);
}

/** `np.mean` of a 1-D float64 array (NaN for an empty one). */
export function npMean(a_N: readonly number[]): number {
  if (a_N.length === 0) return NaN;
  return npSum(a_N) / a_N.length;
}
