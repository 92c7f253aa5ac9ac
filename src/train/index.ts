/**
 * The trainers and the recipe runner (issue 7): recipe schema, SFT / pretrain / RL
 * trainers, FLOP counting, evaluation, checkpoints and `--set` overrides.
 */
export {
  RecipeSchema, PolicySchema, LocalPolicySchema, parseRecipe, parseRecipeYaml, loadRecipe, recipeToYaml, aggModeOf, dynamicSamplingOn, evalLengths,
  type Recipe, type RlConfig, type SftConfig, type PretrainConfig, type EvalConfig,
} from './config.ts';
export { flopModel, forwardFlops, trainFlops, sampleFlops, attentionFlops, type FlopModel } from './flops.ts';
export { responseDatum, documentDatum, lengthBuckets, batchAt, supervisedStep, heldOutLoss, sftTotalSteps, adamFor, datumsTrainFlops, type SupervisedSettings } from './sft.ts';
export { pretrainDatums, repeatedFactsDatums, repeatedFactsText, type RepeatedDocOptions } from './pretrain.ts';
export { scoreItems, resultRows, evaluatePolicy, type EvalItem, type EvaluateOptions, type ItemScore } from './evaluate.ts';
export { rlStep, rolloutGroups, groupDatums, rolloutSeed, overlongBuffer, type RlContext, type RlItem, type ScoredGroup, type RlStepOutput, type RolloutSampler } from './rl-trainer.ts';
export { RecipeRun, recipeOfRun, defaultRunDir, StopForTest, type RunState, type RunOptions, type RunResult, type PhaseName } from './recipe.ts';
export { chatCounter, promptIds, responseIds, prepareData, type RunData } from './data.ts';
export { CheckpointStore, type LatestPointer } from './checkpoint.ts';
export { applyOverride, applyOverrides } from './overrides.ts';
export { rlLoop, type RlProblem, type RlLoopConfig, type RlLoopMetrics } from './rl_loop.ts';
export { createPolicy, type CreatedPolicy } from './policy-factory.ts';
export { RemoteSampler, type RolloutSyncState } from './remote-sampler.ts';
export { createRemoteSampler } from './remote-sampler-factory.ts';
