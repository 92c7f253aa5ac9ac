/**
 * KL in the reward (rl-algorithms.md §4; verl `apply_kl_penalty` and `AdaptiveKLController`,
 * after Ziegler et al., arXiv 1909.08593): token rewards
 *   r[i,t] = s[i,t] − β·kl(logπ_old, logπ_ref)[i,t]·m[i,t],
 * with the outcome score s placed on the last valid response token (trap 8) — or, for a
 * response with no valid token, on its row's last position, where verl puts it (index −1,
 * trap 17), so it still enters its group's statistics. The sequence reward fed to the
 * outcome advantage estimators is Σ_t r[i,t]. verl defaults: estimator `kl`, β = 0.001.
 */
import { UserError } from '../util/errors.ts';
import { checkKlKind, klPenalty, type KlKind } from './kl.ts';
import type { NumArray, Rows } from './types.ts';

export interface KlInRewardInput {
  /** Outcome score per trajectory. */
  scores_B: NumArray;
  /** Log-probs of the rollout policy (the trainer's recomputation). */
  oldLogprobs_B_T: Rows;
  refLogprobs_B_T: Rows;
  mask_B_T: Rows;
  /** β (verl `kl_ctrl.kl_coef`, default 0.001). */
  beta?: number;
  /** Estimator (verl `kl_penalty`, default `kl`). */
  kind?: KlKind;
}

export interface KlInRewardOutput {
  tokenRewards_B_T: Float64Array[];
  /** Σ_t tokenRewards: the scalar for `computeAdvantages`. */
  rewards_B: Float64Array;
  /** `actor/reward_kl_penalty` (batch mean of per-sequence masked-mean KL) and `actor/reward_kl_penalty_coef`. */
  metrics: Record<string, number>;
}

/** Index of the last position with mask > 0, or the row's last position when none. */
export function lastValidIndex(m_T: NumArray): number {
  for (let t = m_T.length - 1; t >= 0; t--) if ((m_T[t] as number) > 0) return t;
  return m_T.length - 1;
}

/** Applies the KL penalty to token rewards; see the module doc. */
export function applyKlInReward(input: KlInRewardInput): KlInRewardOutput {
  const beta = input.beta ?? 0.001;
  const kind = input.kind ?? 'kl';
  checkKlKind(kind);
  const B = input.mask_B_T.length;
  if (input.scores_B.length !== B) throw new UserError(`applyKlInReward: ${input.scores_B.length} scores but ${B} mask rows`);
  const tokenRewards_B_T: Float64Array[] = [];
  const rewards_B = new Float64Array(B);
  let klSum = 0;
  for (let i = 0; i < B; i++) {
    const m_T = input.mask_B_T[i] as NumArray;
    const old_T = input.oldLogprobs_B_T[i] as NumArray;
    const ref_T = input.refLogprobs_B_T[i] as NumArray;
    const r_T = new Float64Array(m_T.length);
    let s = 0;
    let n = 0;
    for (let t = 0; t < m_T.length; t++) {
      const m = m_T[t] as number;
      if (!(m > 0)) continue;
      const kl = klPenalty(kind, old_T[t] as number, ref_T[t] as number).value;
      r_T[t] = -beta * kl * m;
      s += m * kl;
      n += m;
    }
    klSum += n > 0 ? s / (n + 1e-8) : 0;
    if (m_T.length > 0) {
      const last = lastValidIndex(m_T);
      r_T[last] = (r_T[last] as number) + (input.scores_B[i] as number);
    }
    let total = 0;
    for (let t = 0; t < r_T.length; t++) total += r_T[t] as number;
    rewards_B[i] = total;
    tokenRewards_B_T.push(r_T);
  }
  return {
    tokenRewards_B_T,
    rewards_B,
    metrics: { 'actor/reward_kl_penalty': B > 0 ? klSum / B : 0, 'actor/reward_kl_penalty_coef': beta },
  };
}

export interface AdaptiveKlOptions {
  /** Target KL (verl `kl_ctrl.target_kl`, default 0.1). */
  targetKl?: number;
  /** Horizon (verl `kl_ctrl.horizon`, default 10000). */
  horizon?: number;
}

/**
 * One update of verl's adaptive KL coefficient:
 * β ← β·(1 + clip(KL/target − 1, −0.2, 0.2)·nSteps/horizon); verl passes the batch size as nSteps.
 */
export function updateAdaptiveKlCoef(beta: number, currentKl: number, nSteps: number, opts: AdaptiveKlOptions = {}): number {
  const target = opts.targetKl ?? 0.1;
  const horizon = opts.horizon ?? 10000;
  const err = Math.min(0.2, Math.max(-0.2, currentKl / target - 1));
  return beta * (1 + (err * nSteps) / horizon);
}
