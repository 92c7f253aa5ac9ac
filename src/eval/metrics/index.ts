/** The reference scorers, one family per file (scorers.md). */
export { pyRound, pyPercent, cpLength, cpSlice, codePoints, compareCodePoints } from './pyround.ts';
export { npSum, npMean } from './numpy.ts';
export {
  commonTokenCount,
  tokenPrf,
  qaF1Score,
  exactMatchScore,
  hotpotF1,
  squadV2F1,
  maxOverGolds,
  twoWikiScores,
  type Prf,
} from './tokenf1.ts';
export { lcsLength, indelDistance, levenshteinRatio, fuzzRatio } from './levenshtein.ts';
export { countScore, retrievalScore, retrievalZhScore, classificationScore, codeSimScore } from './longbench.ts';
export { rougeScore, ROUGE_RECURSION_LIMIT } from './rouge.ts';
export {
  LONGBENCH_METRICS,
  LONGBENCH_TASK_METRIC,
  FIRST_LINE_TASKS,
  firstLine,
  longBenchMetricFor,
  longBenchItemScore,
  longBenchTaskScore,
  longBenchEBucket,
  longBenchEScores,
  type LongBenchMetric,
  type LongBenchMetricName,
  type ScoreItemOptions,
} from './longbench-scorer.ts';
export { extractV2Answer, aggregateV2, type Choice, type V2Row, type V2Summary } from './longbench-v2.ts';
export {
  parseFramesDecision,
  parseSimpleQaGrade,
  framesAnswerPart,
  qwenJudgeVerdict,
  qwenJudgeVerdictStrict,
  type SimpleQaGrade,
} from './judges.ts';
export {
  lEvalEmNormalize,
  lEvalExactMatch,
  lEvalExamScore,
  lEvalF1Score,
  lEvalGoldChoice,
  lEvalOutputChoice,
} from './leval.ts';
export { rulerPostprocess, stringMatchAllOne, stringMatchPartOne, stringMatchAll, stringMatchPart } from './ruler.ts';
export { firstIntMatch, passkeyCorrect, kvRetrievalCorrect, choiceCorrect, normalizeZhAnswer, qaF1ZhChar } from './infinitebench.ts';
export { BABILONG_TASK_LABELS, babilongPreprocess, babilongCorrect } from './babilong.ts';
export { passAtK, meanPassAtK } from './passk.ts';
export { subEmScore, qwenLongQaScore, qwenLongDocmathScore, docmathGoldString } from './qwenlong.ts';
export { METRICS, getMetric, parseGold, goldScalarString, type Gold, type MetricDef, type MetricContext } from './registry.ts';
export { scoreTable, percentMean, type ScoreTable } from './aggregate.ts';
export { qasperReference, type QasperAnswer } from './qasper.ts';
