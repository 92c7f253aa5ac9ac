/** Evaluation: the reference scorers, file scoring (`longrl score`), and the benchmark runner (`longrl eval`). */
export * from './metrics/index.ts';
export {
  scoreFile,
  formatScoreTable,
  DEFAULT_PRED_FIELDS,
  DEFAULT_GOLD_FIELDS,
  type ScoreFileOptions,
  type ScoreFileResult,
} from './score-file.ts';
export { runEval, itemSeed, type EvalOptions, type EvalSettings } from './runner.ts';
export { BENCHMARKS, LONGBENCH_QA_TASKS, parseBenchList, resolveData, type BenchDef } from './benchmarks.ts';
export { loadDocMath, loadFrames, loadLongBench, loadSynth, loadWiki, type EvalItem, type ItemKind, type LoadResult } from './items.ts';
export { itemContent, truncateContent, LONGBENCH_V2_TEMPLATE, CLOSED_BOOK_TEMPLATE } from './prompts.ts';
export { ruleScores, finalScore, type RuleScores } from './score-item.ts';
export { localModel, openAIModel, parseOpenAISpec, type EvalModel, type GenRequest, type GenSample, type OpenAIModelOptions } from './backends.ts';
export { benchResult, evalResults, resultsMarkdown, type BenchResult, type EvalResults, type ItemLine } from './results.ts';
