/**
 * DAPO overlong reward shaping in the code form QwenLong-L1 runs (qwenlong-recipe.md §7;
 * DAPO arXiv 2503.14476): `min(−(|y| − (Lmax − buf)) / buf · κ, 0)`, added to the score on
 * every path. With the released values (Lmax 10000, buf 1000, κ 1) the penalty is 0 up to
 * 9,000 tokens and falls linearly to −1 at 10,000.
 */
import { UserError } from '../util/errors.ts';

/**
 * The overlong penalty (≤ 0) for a response of `length` tokens.
 * @param maxLen  maximum response length Lmax (tokens)
 * @param buffer  overlong buffer: the penalty ramps over the last `buffer` tokens
 * @param factor  penalty factor κ (1.0 in QwenLong-L1)
 */
export function overlongPenalty(length: number, maxLen: number, buffer: number, factor = 1.0): number {
  if (!(buffer > 0)) throw new UserError(`overlong buffer must be > 0 (got ${buffer})`);
  if (!(maxLen >= buffer)) throw new UserError(`max response length (${maxLen}) must be at least the overlong buffer (${buffer})`);
  const expected = maxLen - buffer;
  const exceed = length - expected;
  return Math.min((-exceed / buffer) * factor, 0);
}

/** Settings of the overlong shaping, as a recipe gives them. */
export interface OverlongConfig {
  maxLen: number;
  buffer: number;
  factor?: number;
}
