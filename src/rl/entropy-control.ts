/**
 * Entropy-based controls of negative gradients from QwenLong-L1.5 (arXiv 2512.12967, §
 * "Stabilized RL"; rl-algorithms reference: qwenlong-recipe.md §11).
 *
 * 1. Negative-gradient clipping (paper Eq. 8–9): the loss of a token is zeroed where its
 *    advantage is negative and its entropy is high — per token (`token`: the token's entropy
 *    > τ) or per sequence (`sequence`: the sequence's mean token entropy > τ). Zeroed tokens
 *    keep their place in the aggregation denominators (the paper zeroes the term; it does
 *    not shrink the batch). The paper gives no thresholds; the caller sets τ.
 *
 * 2. AEPO (adaptive entropy-controlled policy optimisation): keeps the batch entropy inside
 *    [H_low, H_high] by dropping negative-advantage samples when entropy is high. The paper
 *    and the released README disagree:
 *    - paper: when H > H_high drop every sample with A ≤ 0 (positive-only updates, which
 *      lower entropy); when H < H_low reintroduce the negatives (which raise it); in
 *      between keep the current state (a hysteresis controller, so the state is carried
 *      from step to step);
 *    - README snippet: triggered when H_low < H < H_high, keep samples with `adv > 0 and
 *      reward > 0`, then truncate to a multiple of the world size.
 *    longrl follows the paper by default (`variant: 'paper'`), since the README's trigger
 *    contradicts the text's stated purpose; `variant: 'readme'` reproduces the snippet.
 */
import { UserError } from '../util/errors.ts';
import type { NumArray, Rows } from './types.ts';

export type NegativeGradientClipMode = 'token' | 'sequence';

export interface NegativeGradientClipConfig {
  mode: NegativeGradientClipMode;
  /** τ: entropy (nats) above which negative-advantage tokens or sequences are zeroed. */
  threshold: number;
}

export interface NegativeGradientClipOutput {
  /** 1 to keep a token's loss, 0 to zero it (0 on masked positions). */
  keep_B_T: Float64Array[];
  /** Share of valid (mask > 0) tokens zeroed. */
  clippedFrac: number;
}

/** Per-token keep weights for negative-gradient clipping by token or sequence entropy. */
export function negativeGradientClip(
  config: NegativeGradientClipConfig,
  advantages_B_T: Rows,
  entropy_B_T: Rows,
  mask_B_T: Rows,
): NegativeGradientClipOutput {
  if (config.mode !== 'token' && config.mode !== 'sequence') {
    throw new UserError(`negativeGradientClip: mode must be "token" or "sequence" (got "${String(config.mode)}")`);
  }
  let valid = 0;
  let clipped = 0;
  const keep_B_T = mask_B_T.map((m_T, i) => {
    const A_T = advantages_B_T[i] as NumArray;
    const H_T = entropy_B_T[i] as NumArray;
    let seqH = 0;
    if (config.mode === 'sequence') {
      let s = 0;
      let n = 0;
      for (let t = 0; t < m_T.length; t++) {
        const m = m_T[t] as number;
        if (m > 0) {
          s += m * (H_T[t] as number);
          n += m;
        }
      }
      seqH = n > 0 ? s / n : 0;
    }
    const k_T = new Float64Array(m_T.length);
    for (let t = 0; t < m_T.length; t++) {
      if (!((m_T[t] as number) > 0)) continue;
      valid++;
      const h = config.mode === 'token' ? (H_T[t] as number) : seqH;
      if ((A_T[t] as number) < 0 && h > config.threshold) clipped++;
      else k_T[t] = 1;
    }
    return k_T;
  });
  return { keep_B_T, clippedFrac: valid > 0 ? clipped / valid : 0 };
}

export interface AepoConfig {
  /** H_low: below it negatives come back (paper). */
  low: number;
  /** H_high: above it negatives are dropped (paper). */
  high: number;
  /** Which reading of AEPO (see the module doc); default `paper`. */
  variant?: 'paper' | 'readme';
  /** README variant: truncate the kept samples to a multiple of this (world size); default 1. */
  multipleOf?: number;
}

/** The controller's memory between steps (paper variant). */
export interface AepoState {
  maskNegatives: boolean;
}

export interface AepoInput {
  advantages_B: NumArray;
  /** Needed by the README variant (`reward > 0`). */
  rewards_B?: NumArray;
  /** Mean token entropy of the batch (the policy's, at rollout or on the current forward). */
  batchEntropy: number;
  /** Previous state; default `{maskNegatives: false}`. */
  state?: AepoState;
}

export interface AepoOutput {
  /** Indices of the samples to train on, in order. */
  keep: number[];
  state: AepoState;
  metrics: Record<string, number>;
}

/**
 * Chooses the samples AEPO trains on this step. When every sample is dropped `keep` is
 * empty: the caller skips the update (a positive-only update without positives is none).
 */
export function aepoSelect(config: AepoConfig, input: AepoInput): AepoOutput {
  if (!(config.low <= config.high)) throw new UserError(`aepoSelect: low (${config.low}) must be ≤ high (${config.high})`);
  const B = input.advantages_B.length;
  const H = input.batchEntropy;
  const all = Array.from({ length: B }, (_, i) => i);
  if ((config.variant ?? 'paper') === 'paper') {
    let maskNegatives = input.state?.maskNegatives ?? false;
    if (H > config.high) maskNegatives = true;
    else if (H < config.low) maskNegatives = false;
    const keep = maskNegatives ? all.filter((i) => (input.advantages_B[i] as number) > 0) : all;
    return { keep, state: { maskNegatives }, metrics: { 'aepo/active': maskNegatives ? 1 : 0, 'aepo/dropped': B - keep.length, 'aepo/batch_entropy': H } };
  }
  const state = input.state ?? { maskNegatives: false };
  const active = H > config.low && H < config.high;
  if (!active) return { keep: all, state, metrics: { 'aepo/active': 0, 'aepo/dropped': 0, 'aepo/batch_entropy': H } };
  if (!input.rewards_B) throw new UserError('aepoSelect: the "readme" variant needs rewards_B (it keeps samples with adv > 0 and reward > 0)');
  const r_B = input.rewards_B;
  let keep = all.filter((i) => (input.advantages_B[i] as number) > 0 && (r_B[i] as number) > 0);
  const mult = Math.max(1, Math.floor(config.multipleOf ?? 1));
  keep = keep.slice(0, keep.length - (keep.length % mult));
  return { keep, state, metrics: { 'aepo/active': 1, 'aepo/dropped': B - keep.length, 'aepo/batch_entropy': H } };
}
