/** `longrl ablate` (issue 12): the paper's ablations at equal compute. */
export { VARIANT_NAMES, DEFAULT_VARIANTS, JUDGE_VARIANTS, parseVariants, rlTemplate, variantRecipe, configHash, canonicalJson, dedupeVariants, type VariantName, type PlannedVariant, type SharedStart } from './variants.ts';
export { rlStepFlops, rlStepParts, rlRunSeconds, stageFlopBudgets, evalFlops, sizePlan, type Plan, type Rates, type SizeInput } from './budget.ts';
export { mean, stdDdof1, ablationRows, compareRows, ablationMarkdown, COMPARISONS, type SeedResult, type AblationRow as AblateRow } from './stats.ts';
export { longAnswerRecords, sftStepsForFlops, sftLongAnswersRecipe, filesHeldOut } from './sft-long.ts';
export { ablationChartSvg } from './chart.ts';
export { shrinkTiny } from './tiny.ts';
export { probeRates, type ProbeShape } from './probe.ts';
export { runAblation, type AblateOptions, type AblateResult } from './run.ts';
