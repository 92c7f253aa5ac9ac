/**
 * QwenLong-L1 evaluation scores (qwenlong-recipe.md §3–§5, §14.1; scorers.md §5): the
 * answer is extracted in evaluation mode, compared with `answers[0]` only, and the
 * score is `max(rule, judge)` when a judge verdict is supplied. Extraction and the
 * DocMath comparator come from the reward module, so training and evaluation agree.
 */
import { subEm } from '../../reward/docqa.ts';
import { answerSection, extractDocmathAnswer, extractGold, extractQaAnswer } from '../../reward/extract.ts';
import { docmathScore } from '../../reward/docmath.ts';
import { pyFloatRepr } from '../../reward/pyfloat.ts';

/**
 * Sub-EM / cover exact match (the reward module's `subEm`): `norm(gold) ⊆ norm(pred) ||
 * norm(pred) ⊆ norm(gold)` as substrings. Evaluation keeps the reference behaviour: a
 * prediction that normalises to "" is contained in everything and scores 1;
 * `guardEmpty` uses the reward's guarded default (an empty side scores 0) instead.
 */
export function subEmScore(prediction: string, gold: string, guardEmpty = false): number {
  return subEm(prediction, gold, { compat: guardEmpty ? 'default' : 'reference' });
}

/** Combines a rule score with an optional judge verdict in [0, 1]. */
function withJudge(rule: number, judge: number | null | undefined): number {
  return judge === null || judge === undefined ? rule : Math.max(rule, judge);
}

/**
 * QwenLong-L1 DocQA score of one raw response: evaluation-mode extraction (after the
 * last `</think>`, then the text after the last "the answer is"); no answer → rule 0;
 * sub-EM against `answers[0]`; max with the judge verdict when given.
 */
export function qwenLongQaScore(response: string, answers_G: readonly string[], judge?: number | null): number {
  const section = answerSection(response, 'evaluation') ?? '';
  const pred = extractQaAnswer(section);
  const gold = answers_G[0];
  const rule = pred === null || gold === undefined ? 0 : subEmScore(pred, gold);
  return withJudge(rule, judge);
}

/**
 * Python `str(gold)` of a DocMath ground truth as JSON delivers it: integers as ints,
 * anything else as Python's float repr (`1e-05`, whose extraction then yields "1": a bug
 * of the original kept for parity).
 */
export function docmathGoldString(gold: number | string): string {
  if (typeof gold === 'string') return gold;
  return Number.isInteger(gold) && Math.abs(gold) < 1e16 ? String(gold) : pyFloatRepr(gold);
}

/**
 * QwenLong-L1 DocMath score (`eval/docmath.py`): the gold is re-extracted from
 * `"Therefore, the answer is " + str(gold) + "."`; the prediction with evaluation-mode
 * DocMath extraction; DocMath-Eval's comparator with the 2-decimal ceil and the
 * `log10(v1/v2)` form; max with the judge verdict when given.
 */
export function qwenLongDocmathScore(response: string, gold: number | string, judge?: number | null): number {
  const section = answerSection(response, 'evaluation') ?? '';
  const pred = extractDocmathAnswer(section, 'evaluation');
  const g = extractGold(`Therefore, the answer is ${docmathGoldString(gold)}.`, 'math', 'evaluation');
  const rule = docmathScore(pred, g, { decimals: 2, logForm: 'ratio' });
  return withJudge(rule, judge);
}
