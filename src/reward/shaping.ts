/**
 * DAPO overlong reward shaping (qwenlong-recipe.md §7): the penalty function lives in
 * `src/rl/overlong.ts` (`min(−(|y| − (Lmax − buf)) / buf · κ, 0)`); the reward applies it
 * on every path after max(rule, judge).
 */
export { overlongPenalty } from '../rl/overlong.ts';

/** Settings of the overlong shaping, as a recipe gives them (released: 10000 / 1000 / 1.0). */
export interface OverlongConfig {
  /** Maximum response length Lmax in tokens. */
  maxLen: number;
  /** The penalty ramps over the last `buffer` tokens before Lmax. */
  buffer: number;
  /** Penalty factor κ (default 1.0). */
  factor?: number;
}
