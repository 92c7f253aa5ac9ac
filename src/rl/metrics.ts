/**
 * Batch statistics under verl's metric names (rl-algorithms.md §12; verl `compute_data_metrics`):
 * `critic/score/*` from the outcome scores, `critic/rewards/*` from the (shaped) sequence
 * rewards, `critic/advantages/*` over the valid response tokens (verl `masked_select`),
 * `response_length/*` with `clip_ratio` = share of responses at the length cap.
 */
import type { NumArray, Rows } from './types.ts';

export interface RlBatchMetricsInput {
  scores_B?: NumArray;
  rewards_B?: NumArray;
  advantages_B_T?: Rows;
  mask_B_T?: Rows;
  responseLengths_B?: NumArray;
  /** The response-length cap for `response_length/clip_ratio`. */
  maxResponseLength?: number;
}

function summary(prefix: string, xs: readonly number[], out: Record<string, number>): void {
  if (xs.length === 0) return;
  let s = 0;
  let mx = -Infinity;
  let mn = Infinity;
  for (const x of xs) {
    s += x;
    if (x > mx) mx = x;
    if (x < mn) mn = x;
  }
  out[`${prefix}/mean`] = s / xs.length;
  out[`${prefix}/max`] = mx;
  out[`${prefix}/min`] = mn;
}

/** Computes whichever of the metrics the given inputs allow. */
export function rlBatchMetrics(input: RlBatchMetricsInput): Record<string, number> {
  const out: Record<string, number> = {};
  if (input.scores_B) summary('critic/score', Array.from(input.scores_B), out);
  if (input.rewards_B) summary('critic/rewards', Array.from(input.rewards_B), out);
  if (input.advantages_B_T && input.mask_B_T) {
    const valid: number[] = [];
    input.mask_B_T.forEach((m_T, i) => {
      const a_T = (input.advantages_B_T as Rows)[i] as NumArray;
      for (let t = 0; t < m_T.length; t++) if ((m_T[t] as number) > 0) valid.push(a_T[t] as number);
    });
    summary('critic/advantages', valid, out);
  }
  if (input.responseLengths_B) {
    const lens = Array.from(input.responseLengths_B);
    summary('response_length', lens, out);
    if (input.maxResponseLength !== undefined && lens.length > 0) {
      out['response_length/clip_ratio'] = lens.filter((l) => l >= (input.maxResponseLength as number)).length / lens.length;
    }
  }
  return out;
}
