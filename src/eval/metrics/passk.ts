/**
 * Unbiased pass@k from n samples with c correct (Chen et al. 2021, "Evaluating Large
 * Language Models Trained on Code", Eq. 1; qwenlong-recipe.md §14.1 step 6):
 * `pass@k = 1 − C(n−c, k) / C(n, k)`, computed as `1 − Π_{i=n−c+1}^{n} (1 − k/i)` so no
 * binomial coefficient is ever formed (they overflow long before n = 1000).
 */

/** pass@k for one problem. Requires integers 0 ≤ c ≤ n and 1 ≤ k ≤ n. */
export function passAtK(n: number, c: number, k: number): number {
  if (!Number.isInteger(n) || !Number.isInteger(c) || !Number.isInteger(k)) {
    throw new RangeError(`passAtK: n, c, k must be integers (got ${n}, ${c}, ${k})`);
  }
  if (c < 0 || c > n) throw new RangeError(`passAtK: need 0 <= c <= n (got c=${c}, n=${n})`);
  if (k < 1 || k > n) throw new RangeError(`passAtK: need 1 <= k <= n (got k=${k}, n=${n})`);
  if (n - c < k) return 1.0;
  let prod = 1.0;
  for (let i = n - c + 1; i <= n; i++) prod *= 1.0 - k / i;
  return 1.0 - prod;
}

/** Mean pass@k over problems, each given as its (n, c); × 100 for the tables. */
export function meanPassAtK(samples_P: readonly { n: number; c: number }[], k: number): number {
  if (samples_P.length === 0) return NaN;
  let s = 0;
  for (const { n, c } of samples_P) s += passAtK(n, c, k);
  return s / samples_P.length;
}
