/**
 * The Tinker built-in losses as longrl `LossFn`s over wire datums (remote-backends.md §2):
 *
 *   cross_entropy        ℓ_t = −w_t · logp_t                       (w default 1)
 *   importance_sampling  ℓ_t = −exp(logp_t − logq_t) · A_t
 *   ppo                  ℓ_t = −min(ρ_t A_t, clip(ρ_t, lo, hi) A_t), ρ_t = exp(logp_t − logq_t)
 *                        (loss_fn_config clip_low_threshold / clip_high_threshold, default 0.8 / 1.2)
 *
 * `normalize: 'sum'` (hosted Tinker): the loss is the plain sum over tokens and datums.
 * `normalize: 'skyrl'` reproduces SkyRL tx's JAX backend: every per-token term is multiplied
 * by the datum's weight w_t (default 1) and each datum's sum divided by max(Σ_t w_t, 1e-9);
 * the division of the gradient by the number of datums happens at optim_step (the service
 * keeps the count), as SkyRL's `AccumulatedGradients.get_mean` does.
 *
 * Per-token terms are computed in float64 from the request's doubles and rounded to float32
 * once, so a client that pre-scales advantages by exact factors gets exact gradients.
 */
import type { Datum, LossFn } from '../../policy/types.ts';
import { WireError, type Json, type WireDatum } from './wire.ts';

export type TinkerLossName = 'cross_entropy' | 'importance_sampling' | 'ppo';
export const TINKER_LOSSES: readonly TinkerLossName[] = ['cross_entropy', 'importance_sampling', 'ppo'];
export type Normalize = 'sum' | 'skyrl';

/** The LocalPolicy datum of a wire datum; the mask is the `mask` extension, else all positions. */
export function toPolicyDatum(d: WireDatum): Datum {
  const T = d.input_T.length;
  const mask = d.inputs['mask'];
  const mask_T = new Float32Array(T);
  for (let t = 0; t < T; t++) mask_T[t] = mask ? (mask[t] !== 0 ? 1 : 0) : 1;
  return { inputTokens_T: Int32Array.from(d.input_T), targetTokens_T: Int32Array.from(d.inputs['target_tokens']!), mask_T };
}

function need(d: WireDatum, i: number, key: string, loss: string): number[] {
  const v = d.inputs[key];
  if (!v) throw new WireError(400, `forward_backward_input.data[${i}].loss_fn_inputs.${key} is required by loss "${loss}"`);
  return v;
}

export function checkLossName(name: unknown): TinkerLossName {
  if (typeof name !== 'string' || !(TINKER_LOSSES as readonly string[]).includes(name)) {
    throw new WireError(400, `loss_fn "${String(name)}" is not supported; use one of ${TINKER_LOSSES.join(', ')}`);
  }
  return name as TinkerLossName;
}

/** The built-in loss `name` over `data`, normalised as `normalize` says (see the module doc). */
export function builtinLoss(name: TinkerLossName, data: readonly WireDatum[], config: Json | undefined, normalize: Normalize): LossFn {
  const lo = typeof config?.['clip_low_threshold'] === 'number' ? config['clip_low_threshold'] : 0.8;
  const hi = typeof config?.['clip_high_threshold'] === 'number' ? config['clip_high_threshold'] : 1.2;
  return ({ logprobs }) => {
    let loss = 0;
    const dLogprobs = data.map((d, i) => {
      const lp_T = logprobs[i]!;
      const T = lp_T.length;
      const w = d.inputs['weights'];
      const m = d.inputs['mask'];
      const q = name === 'cross_entropy' ? null : need(d, i, 'logprobs', name);
      const A = name === 'cross_entropy' ? null : need(d, i, 'advantages', name);
      let denom = 1;
      if (normalize === 'skyrl') {
        let s = 0;
        for (let t = 0; t < T; t++) s += w ? w[t]! : 1;
        denom = Math.max(s, 1e-9);
      }
      const g_T = new Float32Array(T);
      let seqLoss = 0;
      for (let t = 0; t < T; t++) {
        if (m && m[t] === 0) continue;
        const lp = lp_T[t]!;
        let l: number;
        let g: number;
        if (name === 'cross_entropy') {
          const wt = w ? w[t]! : 1;
          l = -wt * lp;
          g = -wt;
        } else {
          const ratio = Math.exp(lp - q![t]!);
          const a = A![t]!;
          const wt = normalize === 'skyrl' && w ? w[t]! : 1;
          if (name === 'importance_sampling') {
            l = -ratio * a * wt;
            g = -ratio * a * wt;
          } else {
            const clipped = Math.min(Math.max(ratio, lo), hi);
            const un = ratio * a;
            const cl = clipped * a;
            l = -Math.min(un, cl) * wt;
            g = un <= cl ? -ratio * a * wt : 0;
          }
        }
        seqLoss += l;
        g_T[t] = g / denom;
      }
      loss += seqLoss / denom;
      return g_T;
    });
    return { loss, dLogprobs, dEntropy: null, metrics: { 'loss:sum': loss } };
  };
}
