/**
 * Entropy bonus (rl-algorithms.md §5; verl `dp_actor`: `policy_loss −= entropy_coeff ·
 * agg_loss(entropy)`): rewards a flatter next-token distribution to slow entropy collapse.
 * H must come from logits divided by the sampling temperature (trap 10). verl's current
 * default coefficient is 0; the vendored verl of QwenLong-L1 used 0.001.
 */
import { aggregateLoss, type AggMode, type AggOptions } from './aggregate.ts';
import type { Rows } from './types.ts';

export interface EntropyBonusOutput {
  /** −coef · agg(H): the term added to the loss. */
  loss: number;
  /** agg(H), logged as `actor/entropy`. */
  entropy: number;
  /** ∂loss/∂H[i,t] = −coef · w[i,t]. */
  dEntropy_B_T: Float64Array[];
}

/** The entropy term of the actor loss and its gradient by the per-token entropies. */
export function entropyBonus(entropy_B_T: Rows, mask_B_T: Rows, coef: number, mode: AggMode = 'token-mean', opts: AggOptions = {}): EntropyBonusOutput {
  const agg = aggregateLoss(mode, entropy_B_T, mask_B_T, opts);
  const dEntropy_B_T = agg.weights_B_T.map((w_T) => {
    const d_T = new Float64Array(w_T.length);
    if (coef !== 0) for (let t = 0; t < w_T.length; t++) if (w_T[t] !== 0) d_T[t] = -coef * (w_T[t] as number);
    return d_T;
  });
  return { loss: coef === 0 ? 0 : -coef * agg.loss, entropy: agg.loss, dEntropy_B_T };
}
