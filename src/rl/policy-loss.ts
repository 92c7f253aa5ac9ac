/**
 * Per-token policy-gradient losses ℓ[i,t] and their derivatives ∂ℓ[i,t]/∂logπ[i,t], picked by
 * name (rl-algorithms.md §2). Aggregation over tokens is separate (`aggregate.ts`).
 *
 * - `vanilla` (alias `ppo`): PPO clipped surrogate (Schulman et al., arXiv 1707.06347) with
 *   clip-higher (DAPO, arXiv 2503.14476: separate ε_low/ε_high) and dual-clip (Ye et al.,
 *   arXiv 1912.09729) as verl `compute_policy_loss_vanilla`:
 *   logρ = clamp(logπ − logπ_old, −20, 20); L1 = −Aρ; L2 = −A·clip(ρ, 1−ε_low, 1+ε_high);
 *   Lc = max(L1, L2); where A < 0: ℓ = min(−A·c, Lc), else ℓ = Lc. verl applies dual-clip
 *   always (c = 3); `clipC: null` turns it off (OpenRLHF's default).
 * - `gspo`: GSPO (Zheng et al., arXiv 2507.18071) as verl `compute_policy_loss_gspo`:
 *   s_i = exp(Σ_t m·(logπ − logπ_old)/max(Σ_t m, 1)); per token the ratio is
 *   exp(min(logπ − sg[logπ] + sg[log s_i], 10)); ℓ = max(−A·s, −A·clip(s)). The caller must
 *   aggregate with `seq-mean-token-mean` (`forcedAggMode`), as verl forces it (trap 18).
 * - `cispo`: CISPO (MiniMax-M1, arXiv 2506.13585): ℓ = −sg[clip(ρ, 1−ε_low, 1+ε_high)]·A·logπ.
 *
 * Options shared by all: a truncated importance weight against the sampler's log-probs
 * (TIS, verl `tis_imp_ratio_cap`): w = min(exp(logπ_old − logπ_sampler), cap), ℓ ← ℓ·w (w
 * carries no gradient). Missing `oldLogprobs_B_T` means on-policy: logπ_old = sg[logπ]
 * (verl's shortcut with one mini-batch and one epoch, so ρ ≡ 1 and ∂ℓ = −A).
 *
 * Gradients follow torch autograd's conventions exactly: a clamp passes the gradient where
 * lo ≤ x ≤ hi; max/min split it half-and-half on ties. `detachedLogprobs_B_T` is where
 * every sg[·] is evaluated (defaults to `logprobs_B_T`); giving it separately lets a test
 * differentiate the surrogate with finite differences while keeping sg[·] fixed.
 */
import { UserError } from '../util/errors.ts';
import type { AggMode } from './aggregate.ts';
import { maskedMean } from './stats.ts';
import type { NumArray, Rows } from './types.ts';

export type PolicyLossName = 'vanilla' | 'ppo' | 'gspo' | 'cispo';

export const POLICY_LOSSES: readonly PolicyLossName[] = ['vanilla', 'ppo', 'gspo', 'cispo'];

export interface PolicyLossConfig {
  /** ε_low: lower clip 1 − ε_low (verl `clip_ratio_low`, default 0.2). */
  clipLow?: number;
  /** ε_high: upper clip 1 + ε_high (verl `clip_ratio_high`, default 0.2; DAPO 0.28). */
  clipHigh?: number;
  /** Dual-clip constant c > 1 for A < 0 (verl `clip_ratio_c`, default 3); null disables. `vanilla` only. */
  clipC?: number | null;
  /** Cap of the truncated importance weight vs the sampler (verl `tis_imp_ratio_cap`); null/undefined disables. */
  tisCap?: number | null;
}

export interface PolicyLossInput {
  /** logπ of the current weights (the variable differentiated by). */
  logprobs_B_T: Rows;
  /** logπ_old of the rollout policy recomputed by the trainer; absent = on-policy (sg[logπ]). */
  oldLogprobs_B_T?: Rows;
  /** Per-token advantages. */
  advantages_B_T: Rows;
  mask_B_T: Rows;
  /** The sampler's log-probs; with `tisCap` they give the truncated importance weight. */
  samplerLogprobs_B_T?: Rows;
  /** Values of sg[logπ]; default `logprobs_B_T` (separate only for gradient checks). */
  detachedLogprobs_B_T?: Rows;
}

export interface PolicyLossOutput {
  /** ℓ[i,t] (0 where masked). */
  loss_B_T: Float64Array[];
  /** ∂ℓ[i,t]/∂logπ[i,t] (0 where masked). */
  dLoss_B_T: Float64Array[];
  /** Aggregation mode the loss requires whatever the config says (GSPO), else null. */
  forcedAggMode: AggMode | null;
  /** verl names: `actor/pg_clipfrac`, `actor/pg_clipfrac_lower`, `actor/ppo_kl` (+ `rollout/logprob_gap`, `actor/tis_capped_frac` with sampler log-probs). */
  metrics: Record<string, number>;
}

interface Resolved {
  lo: number;
  hi: number;
  c: number | null;
  tisCap: number | null;
}

function resolve(name: string, config: PolicyLossConfig): Resolved {
  const clipLow = config.clipLow ?? 0.2;
  const clipHigh = config.clipHigh ?? 0.2;
  const c = config.clipC === undefined ? 3 : config.clipC;
  if (!(clipLow >= 0) || !(clipHigh >= 0)) {
    throw new UserError(`policyLoss(${name}): clipLow and clipHigh must be ≥ 0 (got ${clipLow}, ${clipHigh})`);
  }
  if (c !== null && !(c > 1)) {
    throw new UserError(`policyLoss(${name}): the dual-clip constant clipC must be > 1 (got ${c}); use null to disable dual-clip`);
  }
  const tisCap = config.tisCap ?? null;
  if (tisCap !== null && !(tisCap > 0)) throw new UserError(`policyLoss(${name}): tisCap must be > 0 (got ${tisCap}); use null to disable`);
  return { lo: 1 - clipLow, hi: 1 + clipHigh, c, tisCap };
}

function checkShapes(name: string, input: PolicyLossInput): void {
  const B = input.mask_B_T.length;
  const named: [string, Rows | undefined][] = [
    ['logprobs_B_T', input.logprobs_B_T],
    ['oldLogprobs_B_T', input.oldLogprobs_B_T],
    ['advantages_B_T', input.advantages_B_T],
    ['samplerLogprobs_B_T', input.samplerLogprobs_B_T],
    ['detachedLogprobs_B_T', input.detachedLogprobs_B_T],
  ];
  for (const [field, rows] of named) {
    if (!rows) continue;
    if (rows.length !== B) throw new UserError(`policyLoss(${name}): ${field} has ${rows.length} rows but mask_B_T has ${B}`);
    for (let i = 0; i < B; i++) {
      const need = (input.mask_B_T[i] as NumArray).length;
      if ((rows[i] as NumArray).length < need) {
        throw new UserError(`policyLoss(${name}): ${field}[${i}] has ${(rows[i] as NumArray).length} tokens but its mask has ${need}`);
      }
    }
  }
}

const clampGradMask = (x: number, lo: number, hi: number): number => (x >= lo && x <= hi ? 1 : 0);
const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

/** max(a, b) with torch's derivative (half each on a tie). */
function maxWithGrad(a: number, da: number, b: number, db: number): [number, number] {
  if (a > b) return [a, da];
  if (b > a) return [b, db];
  return [a, (da + db) / 2];
}

/** Computes the named policy loss per token; see the module doc. */
export function policyLoss(name: PolicyLossName, input: PolicyLossInput, config: PolicyLossConfig = {}): PolicyLossOutput {
  if (!(POLICY_LOSSES as readonly string[]).includes(name)) {
    throw new UserError(`unknown policy loss "${String(name)}"; choose one of ${POLICY_LOSSES.join(', ')}`);
  }
  const cfg = resolve(name, config);
  checkShapes(name, input);
  const mask_B_T = input.mask_B_T;
  const det_B_T = input.detachedLogprobs_B_T ?? input.logprobs_B_T;
  const old_B_T = input.oldLogprobs_B_T ?? det_B_T;
  const B = mask_B_T.length;
  const loss_B_T: Float64Array[] = [];
  const dLoss_B_T: Float64Array[] = [];
  const clip_B_T: Float64Array[] = [];
  const clipLower_B_T: Float64Array[] = [];
  const kl_B_T: Float64Array[] = [];
  for (let i = 0; i < B; i++) {
    const m_T = mask_B_T[i] as NumArray;
    const lp_T = input.logprobs_B_T[i] as NumArray;
    const det_T = det_B_T[i] as NumArray;
    const old_T = old_B_T[i] as NumArray;
    const A_T = input.advantages_B_T[i] as NumArray;
    const T = m_T.length;
    const l_T = new Float64Array(T);
    const d_T = new Float64Array(T);
    const cf_T = new Float64Array(T);
    const cfl_T = new Float64Array(T);
    const nk_T = new Float64Array(T);
    // GSPO's sequence log-ratio, from the detached values (verl: unclamped, length clamped to ≥ 1).
    let seqLogRatio = 0;
    if (name === 'gspo') {
      let s = 0;
      let n = 0;
      for (let t = 0; t < T; t++) {
        const m = m_T[t] as number;
        if (m > 0) {
          s += m * ((det_T[t] as number) - (old_T[t] as number));
          n += m;
        }
      }
      seqLogRatio = s / Math.max(n, 1);
    }
    for (let t = 0; t < T; t++) {
      if (!((m_T[t] as number) > 0)) continue;
      const lp = lp_T[t] as number;
      const A = A_T[t] as number;
      if (name === 'vanilla' || name === 'ppo') {
        const raw = lp - (old_T[t] as number);
        const logr = clamp(raw, -20, 20);
        const rho = Math.exp(logr);
        const dRho = rho * clampGradMask(raw, -20, 20);
        const L1 = -A * rho;
        const d1 = -A * dRho;
        const L2 = -A * clamp(rho, cfg.lo, cfg.hi);
        const d2 = -A * dRho * clampGradMask(rho, cfg.lo, cfg.hi);
        let [l, d] = maxWithGrad(L1, d1, L2, d2);
        cf_T[t] = L2 > L1 ? 1 : 0;
        if (cfg.c !== null && A < 0) {
          const L3 = -A * cfg.c;
          cfl_T[t] = l > L3 ? 1 : 0;
          // min(L3, Lc): L3 is constant in logπ.
          if (l > L3) [l, d] = [L3, 0];
          else if (l === L3) d = d / 2;
        }
        l_T[t] = l;
        d_T[t] = d;
        nk_T[t] = -logr;
      } else if (name === 'gspo') {
        const z = lp - (det_T[t] as number) + seqLogRatio;
        const s = Math.exp(Math.min(z, 10));
        const dS = s * (z <= 10 ? 1 : 0);
        const L1 = -A * s;
        const d1 = -A * dS;
        const L2 = -A * clamp(s, cfg.lo, cfg.hi);
        const d2 = -A * dS * clampGradMask(s, cfg.lo, cfg.hi);
        [l_T[t], d_T[t]] = maxWithGrad(L1, d1, L2, d2);
        cf_T[t] = L2 > L1 ? 1 : 0;
        nk_T[t] = (old_T[t] as number) - lp;
      } else {
        // cispo: the clipped ratio is a constant weight (sg), the gradient flows through logπ.
        const logr = clamp((det_T[t] as number) - (old_T[t] as number), -20, 20);
        const rho = Math.exp(logr);
        const w = clamp(rho, cfg.lo, cfg.hi);
        l_T[t] = -w * A * lp;
        d_T[t] = -w * A;
        cf_T[t] = rho > cfg.hi ? 1 : 0;
        cfl_T[t] = rho < cfg.lo ? 1 : 0;
        nk_T[t] = -clamp(lp - (old_T[t] as number), -20, 20);
      }
    }
    loss_B_T.push(l_T);
    dLoss_B_T.push(d_T);
    clip_B_T.push(cf_T);
    clipLower_B_T.push(cfl_T);
    kl_B_T.push(nk_T);
  }
  const metrics: Record<string, number> = {
    'actor/pg_clipfrac': maskedMean(clip_B_T, mask_B_T),
    'actor/pg_clipfrac_lower': maskedMean(clipLower_B_T, mask_B_T),
    'actor/ppo_kl': maskedMean(kl_B_T, mask_B_T),
  };
  if (input.samplerLogprobs_B_T) applySamplerWeights(input.samplerLogprobs_B_T, old_B_T, mask_B_T, cfg.tisCap, loss_B_T, dLoss_B_T, metrics);
  return { loss_B_T, dLoss_B_T, forcedAggMode: name === 'gspo' ? 'seq-mean-token-mean' : null, metrics };
}

/**
 * Truncated importance sampling against the sampler (verl TIS): w = min(exp(old − sampler), cap)
 * multiplies ℓ and ∂ℓ in place. Always logs the train-vs-inference gap
 * `rollout/logprob_gap` = mean_m[|logπ_old − logπ_sampler|] (rl-algorithms.md §11 item 4).
 */
function applySamplerWeights(
  sampler_B_T: Rows,
  old_B_T: Rows,
  mask_B_T: Rows,
  cap: number | null,
  loss_B_T: Float64Array[],
  dLoss_B_T: Float64Array[],
  metrics: Record<string, number>,
): void {
  const gap_B_T: Float64Array[] = [];
  const capped_B_T: Float64Array[] = [];
  for (let i = 0; i < mask_B_T.length; i++) {
    const m_T = mask_B_T[i] as NumArray;
    const g_T = new Float64Array(m_T.length);
    const c_T = new Float64Array(m_T.length);
    for (let t = 0; t < m_T.length; t++) {
      if (!((m_T[t] as number) > 0)) continue;
      const diff = ((old_B_T[i] as NumArray)[t] as number) - ((sampler_B_T[i] as NumArray)[t] as number);
      g_T[t] = Math.abs(diff);
      if (cap === null) continue;
      const raw = Math.exp(diff);
      const w = Math.min(raw, cap);
      c_T[t] = raw > cap ? 1 : 0;
      (loss_B_T[i] as Float64Array)[t] = ((loss_B_T[i] as Float64Array)[t] as number) * w;
      (dLoss_B_T[i] as Float64Array)[t] = ((dLoss_B_T[i] as Float64Array)[t] as number) * w;
    }
    gap_B_T.push(g_T);
    capped_B_T.push(c_T);
  }
  metrics['rollout/logprob_gap'] = maskedMean(gap_B_T, mask_B_T);
  if (cap !== null) metrics['actor/tis_capped_frac'] = maskedMean(capped_B_T, mask_B_T);
}
