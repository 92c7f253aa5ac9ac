/**
 * Float64 statistics with the exact flavours the reference frameworks use
 * (rl-algorithms.md §9 traps 1 and 11): GRPO's group std is unbiased (N − 1, torch.std),
 * DAPO's filter std is the population std (N, np.std). Two-pass sums in index order, so
 * the same input always gives the same bits.
 */
import type { NumArray, Rows } from './types.ts';

/** Arithmetic mean; NaN for an empty array. */
export function mean(xs: NumArray): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i] as number;
  return xs.length === 0 ? NaN : s / xs.length;
}

function sumSquaredDeviations(xs: NumArray): number {
  const mu = mean(xs);
  let ss = 0;
  for (let i = 0; i < xs.length; i++) {
    const d = (xs[i] as number) - mu;
    ss += d * d;
  }
  return ss;
}

/** Unbiased (Bessel-corrected, ddof 1) standard deviation, as `torch.std`; NaN below 2 items. */
export function stdUnbiased(xs: NumArray): number {
  if (xs.length < 2) return NaN;
  return Math.sqrt(sumSquaredDeviations(xs) / (xs.length - 1));
}

/** Population (ddof 0) standard deviation, as `np.std`; 0 for one item, NaN for none. */
export function stdPopulation(xs: NumArray): number {
  if (xs.length === 0) return NaN;
  return Math.sqrt(sumSquaredDeviations(xs) / xs.length);
}

/**
 * verl `masked_mean` over a whole batch: `Σ m·x / (Σ m + 1e-8)`, reading only positions with
 * m > 0. An empty mask gives 0 (verl would give 0 too: 0 / 1e-8).
 */
export function maskedMean(values_B_T: Rows, mask_B_T: Rows): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < mask_B_T.length; i++) {
    const m_T = mask_B_T[i] as NumArray;
    const x_T = values_B_T[i] as NumArray;
    for (let t = 0; t < m_T.length; t++) {
      const m = m_T[t] as number;
      if (m > 0) {
        num += m * (x_T[t] as number);
        den += m;
      }
    }
  }
  return den === 0 ? 0 : num / (den + 1e-8);
}

/** Σ m over positions with m > 0 (the local token count of verl's aggregation). */
export function maskSum(mask_B_T: Rows): number {
  let s = 0;
  for (const m_T of mask_B_T) for (let t = 0; t < m_T.length; t++) if ((m_T[t] as number) > 0) s += m_T[t] as number;
  return s;
}
