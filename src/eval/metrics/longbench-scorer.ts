/**
 * LongBench v1 `eval.py`: the task → metric table, the per-item `scorer` (max over gold
 * answers starting at 0, first-line cut for the few-shot tasks) and the task score
 * `round(100·mean, 2)`, plus LongBench-E's length buckets (scorers.md §3).
 */
import { UserError } from '../../util/errors.ts';
import { pyRound } from './pyround.ts';
import { npMean } from './numpy.ts';
import { qaF1Score } from './tokenf1.ts';
import { rougeScore } from './rouge.ts';
import { classificationScore, codeSimScore, countScore, retrievalScore, retrievalZhScore } from './longbench.ts';

/** A LongBench metric: prediction, one gold, the item's `all_classes`. */
export type LongBenchMetric = (prediction: string, groundTruth: string, allClasses: readonly string[]) => number;

/** LongBench metric names as `metrics.py` spells them, minus `_score`. */
export type LongBenchMetricName =
  | 'qa_f1'
  | 'qa_f1_zh'
  | 'rouge'
  | 'rouge_zh'
  | 'classification'
  | 'retrieval'
  | 'retrieval_zh'
  | 'count'
  | 'code_sim';

/**
 * The metrics implemented here. `qa_f1_zh` and `rouge_zh` segment Chinese with jieba,
 * which has no faithful JavaScript port: they are absent, and tasks that need them
 * (multifieldqa_zh, dureader, vcsum) report an error instead of a wrong number.
 */
export const LONGBENCH_METRICS: Readonly<Partial<Record<LongBenchMetricName, LongBenchMetric>>> = {
  qa_f1: (p, g) => qaF1Score(p, g),
  rouge: (p, g) => rougeScore(p, g),
  classification: (p, g, c) => classificationScore(p, g, c),
  retrieval: (p, g) => retrievalScore(p, g),
  retrieval_zh: (p, g) => retrievalZhScore(p, g),
  count: (p, g) => countScore(p, g),
  code_sim: (p, g) => codeSimScore(p, g),
};

/** `dataset2metric` of LongBench `eval.py`. */
export const LONGBENCH_TASK_METRIC: Readonly<Record<string, LongBenchMetricName>> = {
  narrativeqa: 'qa_f1',
  qasper: 'qa_f1',
  multifieldqa_en: 'qa_f1',
  multifieldqa_zh: 'qa_f1_zh',
  hotpotqa: 'qa_f1',
  '2wikimqa': 'qa_f1',
  musique: 'qa_f1',
  dureader: 'rouge_zh',
  gov_report: 'rouge',
  qmsum: 'rouge',
  multi_news: 'rouge',
  vcsum: 'rouge_zh',
  trec: 'classification',
  triviaqa: 'qa_f1',
  samsum: 'rouge',
  lsht: 'classification',
  passage_retrieval_en: 'retrieval',
  passage_count: 'count',
  passage_retrieval_zh: 'retrieval_zh',
  lcc: 'code_sim',
  'repobench-p': 'code_sim',
};

/** Tasks whose prediction is cut to its first line before scoring (few-shot tasks). */
export const FIRST_LINE_TASKS: ReadonlySet<string> = new Set(['trec', 'triviaqa', 'samsum', 'lsht']);

/** Python `pred.lstrip('\n').split('\n')[0]`. */
export function firstLine(prediction: string): string {
  return prediction.replace(/^\n+/, '').split('\n')[0] as string;
}

/** Looks up the metric of a LongBench task; a UserError for unknown or jieba tasks. */
export function longBenchMetricFor(task: string): LongBenchMetric {
  const name = LONGBENCH_TASK_METRIC[task];
  if (name === undefined) {
    throw new UserError(`unknown LongBench task "${task}"; known: ${Object.keys(LONGBENCH_TASK_METRIC).join(', ')}`);
  }
  const fn = LONGBENCH_METRICS[name];
  if (fn === undefined) {
    throw new UserError(`LongBench task "${task}" uses ${name}, which needs jieba word segmentation and is not implemented`);
  }
  return fn;
}

export interface ScoreItemOptions {
  /**
   * Apply the first-line cut for trec/triviaqa/samsum/lsht (LongBench `eval.py`). The
   * MiniLongBench scorer skips it, and its reference scores only reproduce without it.
   */
  firstLineCut?: boolean;
}

/** One item's LongBench score: `max(0, metric(pred, gt) for gt in golds)`. */
export function longBenchItemScore(
  task: string,
  prediction: string,
  golds_G: readonly string[],
  allClasses: readonly string[] = [],
  opts: ScoreItemOptions = {},
): number {
  const metric = longBenchMetricFor(task);
  const pred = (opts.firstLineCut ?? true) && FIRST_LINE_TASKS.has(task) ? firstLine(prediction) : prediction;
  let score = 0.0;
  for (const gt of golds_G) score = Math.max(score, metric(pred, gt, allClasses));
  return score;
}

/** Task score: `round(100 · sum / n, 2)` with the sum accumulated left to right. */
export function longBenchTaskScore(scores_N: readonly number[]): number {
  let total = 0;
  for (const s of scores_N) total += s;
  return pyRound((100 * total) / scores_N.length, 2);
}

/** LongBench-E bucket of an item by its `length` in words. */
export function longBenchEBucket(length: number): '0-4k' | '4-8k' | '8k+' {
  if (length < 4000) return '0-4k';
  if (length < 8000) return '4-8k';
  return '8k+';
}

/**
 * LongBench-E `scorer_e`: per-bucket `round(100 * np.mean(scores), 2)` (NumPy's pairwise
 * summation, not the plain loop of `scorer`); an empty bucket is NaN.
 */
export function longBenchEScores(scores_N: readonly number[], lengths_N: readonly number[]): Record<'0-4k' | '4-8k' | '8k+', number> {
  const sums = { '0-4k': [] as number[], '4-8k': [] as number[], '8k+': [] as number[] };
  scores_N.forEach((s, i) => sums[longBenchEBucket(lengths_N[i] as number)].push(s));
  const out = { '0-4k': NaN, '4-8k': NaN, '8k+': NaN };
  for (const k of ['0-4k', '4-8k', '8k+'] as const) {
    const b = sums[k];
    if (b.length > 0) out[k] = pyRound(100 * npMean(b), 2);
  }
  return out;
}
