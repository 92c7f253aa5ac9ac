/**
 * The reward of longrl: answer extraction, rule verifiers (sub-EM, DocMath, multiple
 * choice, plug-ins), the LLM judge client, the hybrid max(rule, judge) and overlong shaping.
 */
export {
  answerSection,
  extractQaAnswer,
  extractDocmathAnswer,
  extractChoice,
  extractChoiceGold,
  extractGold,
  docmathJudgeFallbackText,
  stripDots,
  rstripDots,
  type ExtractMode,
} from './extract.ts';
export { subEm, subEmMax, type Compat as RewardCompat, type SubEmOptions } from './docqa.ts';
export {
  docmathNormalize,
  docmathNormalizeString,
  compareNumbers,
  docmathScore,
  type CompareOptions,
} from './docmath.ts';
export { pyEvalLiteral, pyValueString, pyToFloat, PyEvalError, type PyValue } from './pyliteral.ts';
export { pyFloatRepr, pyNumberStr } from './pyfloat.ts';
export { choiceScore } from './choice.ts';
export {
  ruleReward,
  registerVerifier,
  loadVerifier,
  loadVerifiers,
  builtinKind,
  VerifierRegistry,
  defaultVerifierRegistry,
  type RuleInput,
  type RuleOptions,
  type RuleResult,
  type RuleKind,
  type Verifier,
  type VerifierInput,
  type VerifierEntry,
  type VerifierModuleSpec,
} from './rule.ts';
export type { OverlongConfig } from './shaping.ts';
export {
  JUDGE_SYSTEM_PROMPT,
  judgeUserMessage,
  parseVerdict,
  questionFromPrompt,
  type ParsedVerdict,
} from './judge-prompt.ts';
export {
  createJudge,
  chatCompletionsUrl,
  parseRetryAfter,
  JUDGE_COUNTERS,
  type Judge,
  type JudgeOptions,
  type JudgeRequest,
  type JudgeVerdict,
} from './judge.ts';
export {
  hybridReward,
  judgeProblem,
  type HybridItem,
  type HybridOptions,
  type HybridResult,
  type HybridBatch,
} from './hybrid.ts';
export {
  createRewarder,
  parseRewardConfig,
  RewardConfigSchema,
  JudgeConfigSchema,
  OverlongConfigSchema,
  VerifierSpecSchema,
  JUDGE_CACHE_FILE,
  type RewardConfig,
  type Rewarder,
  type RewarderOptions,
} from './config.ts';
