/**
 * The actor objective as a `LossFn` for `Policy.forwardBackward` (src/policy/types.ts):
 *
 *   L = scale · [ agg(ℓ·keep) − entropyCoef·agg(H) + klCoef·agg(KL(logπ, logπ_ref)) ]
 *
 * as verl's `dp_actor.update_policy` (rl-algorithms.md §5): the policy loss ℓ from
 * `policyLoss`, aggregated by `aggMode` (GSPO forces `seq-mean-token-mean`; the entropy and KL
 * terms use the configured mode), the entropy bonus, KL in the loss against the datum's
 * `refLogprobs_T`, and `scale` = verl's `loss_scale_factor` (1/gradient-accumulation steps).
 * `keep` is QwenLong-L1.5's negative-gradient clipping when configured.
 *
 * The gradient is analytic: ∂L/∂logπ[i,t] = scale·(w_pg·∂ℓ + klCoef·w_kl·∂KL) and
 * ∂L/∂H[i,t] = −scale·entropyCoef·w_H, with w the aggregation weights; entropy used for
 * clipping decisions carries no gradient. Reads per datum: `mask_T`, `extra.advantages_T`
 * (required), `extra.oldLogprobs_T` (absent = on-policy), `extra.samplerLogprobs_T`,
 * `extra.refLogprobs_T` (required when klCoef ≠ 0). An all-zero mask gives loss 0 and zero
 * gradients (verl: NaN).
 */
import { UserError } from '../util/errors.ts';
import type { Datum, LossFn, LossInputs, LossOutput } from '../policy/types.ts';
import { aggregateLoss, checkAggMode, type AggMode, type AggOptions } from './aggregate.ts';
import { negativeGradientClip, type NegativeGradientClipConfig } from './entropy-control.ts';
import { entropyBonus } from './entropy.ts';
import { checkKlKind, klPenalty, type KlKind } from './kl.ts';
import { policyLoss, type PolicyLossConfig, type PolicyLossName } from './policy-loss.ts';
import type { Rows } from './types.ts';

export interface PolicyLossFnConfig extends PolicyLossConfig {
  /** Policy loss by name (default `vanilla`). */
  policyLoss?: PolicyLossName;
  /** Aggregation mode (default `token-mean`, DAPO/QwenLong). */
  aggMode?: AggMode;
  /** Global token/sequence counts, dp size, S (see `aggregateLoss`). */
  agg?: AggOptions;
  /** Multiplier of the whole loss (verl `loss_scale_factor`), default 1. */
  scale?: number;
  /** Entropy bonus coefficient (verl `entropy_coeff`, default 0; QwenLong's verl 0.001). */
  entropyCoef?: number;
  /** KL-in-loss coefficient (verl `kl_loss_coef` when `use_kl_loss`), default 0 = off. */
  klCoef?: number;
  /** KL estimator for the loss (verl `kl_loss_type`, default `low_var_kl`). */
  klKind?: KlKind;
  /** QwenLong-L1.5 negative-gradient clipping by entropy; null/undefined = off. */
  negativeGradientClip?: NegativeGradientClipConfig | null;
}

export interface PolicyObjectiveInputs extends LossInputs {
  /** Values of sg[logπ] (default `logprobs`); separate only for gradient checks. */
  detachedLogprobs?: readonly Float32Array[] | readonly Float64Array[];
}

function requireExtra(d: Datum, i: number, key: string): Float32Array {
  const v = d.extra?.[key];
  if (!v) throw new UserError(`policy loss: datum ${i} has no extra.${key}; build datums with per-token ${key} (see src/rl/README.md)`);
  if (v.length < d.mask_T.length) throw new UserError(`policy loss: datum ${i} extra.${key} has ${v.length} tokens but mask_T has ${d.mask_T.length}`);
  return v;
}

/** Whether the objective reads the entropy input. */
function usesEntropy(config: PolicyLossFnConfig): boolean {
  return (config.entropyCoef ?? 0) !== 0 || !!config.negativeGradientClip;
}

/** Computes the objective, its analytic gradients and verl-named metrics; `makePolicyLossFn` wraps it. */
export function computePolicyObjective(config: PolicyLossFnConfig, inputs: PolicyObjectiveInputs): LossOutput {
  const aggMode = config.aggMode ?? 'token-mean';
  checkAggMode(aggMode);
  const klKind = config.klKind ?? 'low_var_kl';
  checkKlKind(klKind);
  const scale = config.scale ?? 1;
  const entropyCoef = config.entropyCoef ?? 0;
  const klCoef = config.klCoef ?? 0;
  const { datums, logprobs } = inputs;
  if (logprobs.length !== datums.length) throw new Error(`policy loss: ${logprobs.length} logprob rows for ${datums.length} datums`);
  const mask_B_T: Rows = datums.map((d) => d.mask_T);
  const advantages_B_T = datums.map((d, i) => requireExtra(d, i, 'advantages_T'));
  const hasOld = datums.map((d) => !!d.extra?.['oldLogprobs_T']);
  if (hasOld.some((h) => h !== hasOld[0])) throw new UserError('policy loss: some datums carry extra.oldLogprobs_T and some do not; give it to all or none');
  const oldLogprobs_B_T = hasOld[0] ? datums.map((d, i) => requireExtra(d, i, 'oldLogprobs_T')) : undefined;
  const hasSampler = datums.length > 0 && datums.every((d) => !!d.extra?.['samplerLogprobs_T']);
  if (config.tisCap != null && !hasSampler) throw new UserError('policy loss: tisCap is set but not every datum carries extra.samplerLogprobs_T (the sampler log-probs)');
  const samplerLogprobs_B_T = hasSampler ? datums.map((d, i) => requireExtra(d, i, 'samplerLogprobs_T')) : undefined;
  const needH = usesEntropy(config);
  const entropy = inputs.entropy;
  if (needH && !entropy) throw new Error('policy loss: entropy is required (needsEntropy) but the engine passed none');
  const det = inputs.detachedLogprobs ?? logprobs;

  const pg = policyLoss(config.policyLoss ?? 'vanilla', {
    logprobs_B_T: logprobs,
    detachedLogprobs_B_T: det,
    oldLogprobs_B_T,
    advantages_B_T,
    mask_B_T,
    samplerLogprobs_B_T,
  }, config);
  const metrics: Record<string, number> = { ...pg.metrics };
  if (config.negativeGradientClip && entropy) {
    const clip = negativeGradientClip(config.negativeGradientClip, advantages_B_T, entropy, mask_B_T);
    for (let i = 0; i < datums.length; i++) {
      const k_T = clip.keep_B_T[i] as Float64Array;
      const l_T = pg.loss_B_T[i] as Float64Array;
      const d_T = pg.dLoss_B_T[i] as Float64Array;
      for (let t = 0; t < k_T.length; t++) {
        l_T[t] = (l_T[t] as number) * (k_T[t] as number);
        d_T[t] = (d_T[t] as number) * (k_T[t] as number);
      }
    }
    metrics['actor/neg_grad_clip_frac'] = clip.clippedFrac;
  }
  const pgAgg = aggregateLoss(pg.forcedAggMode ?? aggMode, pg.loss_B_T, mask_B_T, config.agg);
  let loss = pgAgg.loss;
  metrics['actor/pg_loss'] = pgAgg.loss;
  const dLogprobs = datums.map((d, i) => {
    const out = new Float32Array(logprobs[i]?.length ?? d.mask_T.length);
    const w_T = pgAgg.weights_B_T[i] as Float64Array;
    const g_T = pg.dLoss_B_T[i] as Float64Array;
    for (let t = 0; t < w_T.length; t++) if (w_T[t] !== 0) out[t] = scale * (w_T[t] as number) * (g_T[t] as number);
    return out;
  });

  if (klCoef !== 0) {
    const ref_B_T = datums.map((d, i) => requireExtra(d, i, 'refLogprobs_T'));
    const kl_B_T: Float64Array[] = [];
    const dKl_B_T: Float64Array[] = [];
    datums.forEach((d, i) => {
      const m_T = d.mask_T;
      const k_T = new Float64Array(m_T.length);
      const g_T = new Float64Array(m_T.length);
      for (let t = 0; t < m_T.length; t++) {
        if (!((m_T[t] as number) > 0)) continue;
        const kv = klPenalty(klKind, (logprobs[i] as Float32Array)[t] as number, (ref_B_T[i] as Float32Array)[t] as number, (det[i] as Float32Array)[t] as number);
        k_T[t] = kv.value;
        g_T[t] = kv.grad;
      }
      kl_B_T.push(k_T);
      dKl_B_T.push(g_T);
    });
    const klAgg = aggregateLoss(aggMode, kl_B_T, mask_B_T, config.agg);
    loss += klCoef * klAgg.loss;
    dLogprobs.forEach((out, i) => {
      const w_T = klAgg.weights_B_T[i] as Float64Array;
      const g_T = dKl_B_T[i] as Float64Array;
      for (let t = 0; t < w_T.length; t++) if (w_T[t] !== 0) out[t] = (out[t] as number) + scale * klCoef * (w_T[t] as number) * (g_T[t] as number);
    });
    metrics['actor/kl_loss'] = klAgg.loss;
    metrics['actor/kl_coef'] = klCoef;
  }

  let dEntropy: Float32Array[] | null = null;
  if (entropy) {
    const bonus = entropyBonus(entropy, mask_B_T, entropyCoef, aggMode, config.agg);
    metrics['actor/entropy'] = bonus.entropy;
    if (entropyCoef !== 0) {
      loss += bonus.loss;
      dEntropy = datums.map((d, i) => {
        const g_T = bonus.dEntropy_B_T[i] as Float64Array;
        const out = new Float32Array(entropy[i]?.length ?? d.mask_T.length);
        for (let t = 0; t < g_T.length; t++) if (g_T[t] !== 0) out[t] = scale * (g_T[t] as number);
        return out;
      });
    }
  }
  return { loss: scale * loss, dLogprobs, dEntropy, metrics };
}

/**
 * Builds the actor's `LossFn` from a config (see the module doc). `needsEntropy` is set when
 * the entropy bonus or negative-gradient clipping reads the entropy.
 */
export function makePolicyLossFn(config: PolicyLossFnConfig = {}): LossFn {
  checkAggMode(config.aggMode ?? 'token-mean');
  checkKlKind(config.klKind ?? 'low_var_kl');
  const fn: LossFn = (inputs: LossInputs) => computePolicyObjective(config, inputs);
  if (usesEntropy(config)) fn.needsEntropy = true;
  return fn;
}
