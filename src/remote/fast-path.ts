/**
 * Opt-in fast path for PPO-style losses (remote-backends.md §2 "Fast path"): instead of
 * forward + custom loss + cross_entropy (two passes), one `forward_backward` with Tinker's
 * built-in `ppo` loss, `clip_low_threshold = 1 − ε_low`, `clip_high_threshold = 1 + ε_high`,
 * `logprobs` = the datum's `oldLogprobs_T` and advantages pre-multiplied by the aggregation
 * constant ∂loss/∂ℓ (token-mean: scale·dp / Σ response tokens; token-sum: scale·dp). A positive
 * per-batch constant commutes with PPO's min/clip, so the update equals longrl's loss up to
 * rounding (parity test: test/remote/fast-path.test.ts).
 *
 * Only what Tinker's `ppo` computes is accepted: vanilla/ppo loss without dual-clip
 * (`clipC: null`), no TIS, no KL or entropy terms, token-mean or token-sum aggregation.
 */
import type { LossFn } from '../policy/types.ts';
import { makePolicyLossFn, type PolicyLossFnConfig } from '../rl/loss-fn.ts';
import { UserError } from '../util/errors.ts';

export interface PpoFastPath {
  clipLowThreshold: number;
  clipHighThreshold: number;
  /** Aggregation constant from the batch's response-token count. */
  constant(tokens: number): number;
}

export type FastPathLossFn = LossFn & { tinkerPpo?: PpoFastPath };

/** `makePolicyLossFn(config)` tagged for RemotePolicy's `ppo` fast path (see the module doc). */
export function ppoFastPathLoss(config: PolicyLossFnConfig): FastPathLossFn {
  const name = config.policyLoss ?? 'vanilla';
  const why = (m: string) => new UserError(`ppo fast path: ${m}; use the default (custom-loss) path for this loss`);
  if (name !== 'vanilla' && name !== 'ppo') throw why(`policy loss "${name}" is not Tinker's ppo`);
  if (config.clipC !== null) throw why('Tinker\'s ppo has no dual-clip: set clipC: null');
  if (config.tisCap != null) throw why('truncated importance sampling (tisCap) is not part of Tinker\'s ppo');
  if ((config.klCoef ?? 0) !== 0 || (config.entropyCoef ?? 0) !== 0 || config.negativeGradientClip) throw why('KL, entropy and negative-gradient clipping terms are not part of Tinker\'s ppo');
  const agg = config.aggMode ?? 'token-mean';
  if (agg !== 'token-mean' && agg !== 'token-sum') throw why(`aggregation ${agg} is not a per-batch constant`);
  const scale = (config.scale ?? 1) * (config.agg?.dpSize ?? 1);
  const fn: FastPathLossFn = makePolicyLossFn(config);
  fn.tinkerPpo = {
    clipLowThreshold: 1 - (config.clipLow ?? 0.2),
    clipHighThreshold: 1 + (config.clipHigh ?? 0.2),
    constant: (tokens) => (agg === 'token-sum' ? scale : tokens > 0 ? scale / (config.agg?.globalTokens ?? tokens) : 0),
  };
  return fn;
}
