/**
 * longrl's RL algorithm library: advantages, policy losses, aggregation, KL, entropy
 * controls, DAPO dynamic sampling and overlong shaping, as pure functions over per-token
 * arrays with an explicit mask. API overview with an example: src/rl/README.md.
 */
export {
  computeAdvantages,
  broadcastAdvantages,
  ADVANTAGE_ESTIMATORS,
  type AdvantageEstimatorName,
  type AdvantageInput,
  type AdvantageOptions,
  type AdvantageOutput,
  type AdvantageStats,
} from './advantages.ts';
export { aggregateLoss, checkAggMode, AGG_MODES, type AggMode, type AggOptions, type AggResult } from './aggregate.ts';
export { klPenalty, checkKlKind, KL_KINDS, type KlKind, type KlBaseKind, type KlValue } from './kl.ts';
export { applyKlInReward, updateAdaptiveKlCoef, type KlInRewardInput, type KlInRewardOutput, type AdaptiveKlOptions } from './kl-reward.ts';
export {
  policyLoss,
  POLICY_LOSSES,
  type PolicyLossName,
  type PolicyLossConfig,
  type PolicyLossInput,
  type PolicyLossOutput,
} from './policy-loss.ts';
export { entropyBonus, type EntropyBonusOutput } from './entropy.ts';
export { makePolicyLossFn, computePolicyObjective, type PolicyLossFnConfig, type PolicyObjectiveInputs } from './loss-fn.ts';
export {
  negativeGradientClip,
  aepoSelect,
  type NegativeGradientClipConfig,
  type NegativeGradientClipMode,
  type NegativeGradientClipOutput,
  type AepoConfig,
  type AepoState,
  type AepoInput,
  type AepoOutput,
} from './entropy-control.ts';
export {
  dynamicSamplingFilter,
  collectDynamicBatch,
  type RolloutGroup,
  type DynamicFilterResult,
  type CollectDynamicBatchOptions,
  type CollectDynamicBatchResult,
} from './dynamic-sampling.ts';
export { overlongPenalty, maskTruncated } from './overlong.ts';
export { makeRlDatum, withExtra, type RlSample, type RlDatumOptions } from './datum.ts';
export { rlBatchMetrics, type RlBatchMetricsInput } from './metrics.ts';
