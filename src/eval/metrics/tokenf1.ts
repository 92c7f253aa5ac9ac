/**
 * Exact match and token F1 over SQuAD-normalised answers, in the variants the reference
 * scorers use (scorers.md §1–§2): LongBench `qa_f1_score`, HotpotQA `f1_score` with its
 * yes/no/noanswer rule, SQuAD v2 `compute_f1` (empty token lists), and SQuAD v1.1 F1
 * (L-Eval `f1.py`). Every float is computed in the reference's operation order so
 * per-item scores match bit for bit.
 */
import { normalizeAnswer, pySplit } from '../../util/pytext.ts';

/** Precision, recall and F1 of one prediction against one gold. */
export interface Prf {
  f1: number;
  precision: number;
  recall: number;
}

const ZERO: Prf = { f1: 0, precision: 0, recall: 0 };

/** Python `sum((Counter(a) & Counter(b)).values())`: the multiset intersection size. */
export function commonTokenCount(pred_N: readonly string[], gold_M: readonly string[]): number {
  const counts = new Map<string, number>();
  for (const t of gold_M) counts.set(t, (counts.get(t) ?? 0) + 1);
  let same = 0;
  for (const t of pred_N) {
    const c = counts.get(t) ?? 0;
    if (c > 0) {
      same++;
      counts.set(t, c - 1);
    }
  }
  return same;
}

/**
 * LongBench / SQuAD v1.1 token F1 over already-split tokens: 0 when nothing is shared,
 * else `2pr/(p+r)` with `p = same/|pred|`, `r = same/|gold|`.
 */
export function tokenPrf(pred_N: readonly string[], gold_M: readonly string[]): Prf {
  const same = commonTokenCount(pred_N, gold_M);
  if (same === 0) return ZERO;
  const precision = (1.0 * same) / pred_N.length;
  const recall = (1.0 * same) / gold_M.length;
  const f1 = (2 * precision * recall) / (precision + recall);
  return { f1, precision, recall };
}

/** LongBench `qa_f1_score(prediction, ground_truth)` (also L-Eval and InfiniteBench F1). */
export function qaF1Score(prediction: string, groundTruth: string): number {
  return tokenPrf(pySplit(normalizeAnswer(prediction)), pySplit(normalizeAnswer(groundTruth))).f1;
}

/** SQuAD / HotpotQA exact match: `normalize(pred) == normalize(gold)` as 1 or 0. */
export function exactMatchScore(prediction: string, groundTruth: string): number {
  return normalizeAnswer(prediction) === normalizeAnswer(groundTruth) ? 1 : 0;
}

const YES_NO = new Set(['yes', 'no', 'noanswer']);

/**
 * HotpotQA `hotpot_evaluate_v1.f1_score`: if either normalised side is yes/no/noanswer
 * and the two differ, the score is (0, 0, 0); otherwise token F1. 2WikiMultihopQA v1.1
 * uses the same function.
 */
export function hotpotF1(prediction: string, groundTruth: string): Prf {
  const np = normalizeAnswer(prediction);
  const ng = normalizeAnswer(groundTruth);
  if (YES_NO.has(np) && np !== ng) return ZERO;
  if (YES_NO.has(ng) && np !== ng) return ZERO;
  return tokenPrf(pySplit(np), pySplit(ng));
}

/** SQuAD v2 `get_tokens`: an empty string has no tokens (before normalisation). */
function squadTokens(s: string): string[] {
  return s === '' ? [] : pySplit(normalizeAnswer(s));
}

/**
 * SQuAD v2 `compute_f1(a_gold, a_pred)` (also MuSiQue): when either token list is
 * empty the score is 1 if both are empty, else 0; otherwise token F1.
 */
export function squadV2F1(prediction: string, groundTruth: string): number {
  const gold_M = squadTokens(groundTruth);
  const pred_N = squadTokens(prediction);
  if (gold_M.length === 0 || pred_N.length === 0) return gold_M.length === pred_N.length ? 1 : 0;
  return tokenPrf(pred_N, gold_M).f1;
}

/** SQuAD `metric_max_over_ground_truths`: the max of `fn` over golds (0 for none). */
export function maxOverGolds(
  fn: (prediction: string, gold: string) => number,
  prediction: string,
  golds_G: readonly string[],
): number {
  let best = 0;
  for (const g of golds_G) {
    const s = fn(prediction, g);
    if (s > best) best = s;
  }
  return best;
}

/**
 * 2WikiMultihopQA v1.1: EM, F1, precision and recall each maxed separately over the gold
 * answer and its aliases.
 */
export function twoWikiScores(prediction: string, golds_G: readonly string[]): { em: number } & Prf {
  let em = 0;
  let f1 = 0;
  let precision = 0;
  let recall = 0;
  for (const g of golds_G) {
    em = Math.max(em, exactMatchScore(prediction, g));
    const s = hotpotF1(prediction, g);
    f1 = Math.max(f1, s.f1);
    precision = Math.max(precision, s.precision);
    recall = Math.max(recall, s.recall);
  }
  return { em, f1, precision, recall };
}
