/**
 * Overlong reward shaping and overlong filtering (DAPO, arXiv 2503.14476 §3.4;
 * rl-algorithms.md §7).
 *
 * Soft punishment in verl's DAPO reward-manager form: with L_exp = L_max − L_buf,
 *   R_over = min(−(|y| − L_exp)/L_buf · κ, 0),
 * added to the score (not clamped below: since generation stops at L_max it reaches −κ
 * exactly there; longer inputs go on falling linearly, as verl's). QwenLong-L1: L_max 10000,
 * L_buf 1000, κ 1.
 *
 * Overlong filtering is the other technique: truncated responses (finish reason `length`)
 * leave the loss entirely (TRL `mask_truncated_completions`, AReaL `mask_no_eos_with_zero`;
 * verl does not implement it).
 */
import { UserError } from '../util/errors.ts';
import type { FinishReason } from '../policy/types.ts';

/** DAPO soft overlong penalty (≤ 0) for a response of `len` tokens; see the module doc. */
export function overlongPenalty(len: number, maxLen: number, buffer: number, factor: number): number {
  if (!(buffer > 0)) throw new UserError(`overlongPenalty: the overlong buffer must be > 0 tokens (got ${buffer}); disable overlong shaping instead of setting it to 0`);
  if (!(buffer <= maxLen)) throw new UserError(`overlongPenalty: the overlong buffer (${buffer}) must not exceed the max response length (${maxLen})`);
  const expected = maxLen - buffer;
  const p = (-(len - expected) / buffer) * factor;
  return p < 0 ? p : 0; // never -0
}

/**
 * Overlong filtering: returns masks with every truncated response (finish reason `length`)
 * zeroed, so it contributes no loss and no tokens (the same arrays are reused for the others).
 */
export function maskTruncated<M extends Float32Array | Float64Array>(mask_B_T: readonly M[], finishReasons_B: readonly FinishReason[]): M[] {
  if (mask_B_T.length !== finishReasons_B.length) {
    throw new UserError(`maskTruncated: ${mask_B_T.length} masks but ${finishReasons_B.length} finish reasons`);
  }
  return mask_B_T.map((m_T, i) => (finishReasons_B[i] === 'length' ? (new (m_T.constructor as new (n: number) => M)(m_T.length)) : m_T));
}
