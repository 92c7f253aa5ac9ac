/**
 * Supervised losses as pure `LossFn`s over per-token log-probabilities (the
 * `forwardBackward` seam of src/policy/types.ts).
 */
import type { LossFn, LossInputs, LossOutput } from '../policy/types.ts';

export interface CrossEntropyOptions {
  /**
   * `tokens`: mean over all masked tokens of the batch, weighted by the mask values
   * (Σ w·(−logp) / Σ w, as HF's loss with a label mask); `sum`: Σ w·(−logp).
   */
  normalize?: 'tokens' | 'sum';
}

/** Cross-entropy (negative log-likelihood) of the targets, weighted by `mask_T`. */
export function crossEntropyLoss(opts: CrossEntropyOptions = {}): LossFn {
  const normalize = opts.normalize ?? 'tokens';
  const fn = (inputs: LossInputs): LossOutput => {
    let weight = 0;
    let nll = 0;
    let tokens = 0;
    inputs.datums.forEach((d, i) => {
      const lp = inputs.logprobs[i]!;
      for (let t = 0; t < d.mask_T.length; t++) {
        const w = d.mask_T[t]!;
        if (w === 0) continue;
        weight += w;
        tokens++;
        nll -= w * lp[t]!;
      }
    });
    const denom = normalize === 'tokens' ? weight : 1;
    const scale = denom > 0 ? 1 / denom : 0;
    const dLogprobs = inputs.datums.map((d) => {
      const g = new Float32Array(d.mask_T.length);
      for (let t = 0; t < g.length; t++) g[t] = -d.mask_T[t]! * scale;
      return g;
    });
    const loss = nll * scale;
    return {
      loss, dLogprobs, dEntropy: null,
      metrics: { loss, nll_per_token: weight > 0 ? nll / weight : 0, tokens, weight },
    };
  };
  return fn;
}
