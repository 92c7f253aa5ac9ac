/**
 * Multiple-choice scoring (QwenLong-L1 `long.py`, `long_toc_choices`; qwenlong-recipe.md
 * §5.3): extract the letter A–D from prediction and gold and compare them lower-cased.
 * No LLM judge on this path.
 */
import { extractChoice, extractChoiceGold } from './extract.ts';

/** 1 when the prediction's letter equals the gold's, else 0 (also when either has none). */
export function choiceScore(answerText: string | null, gold: string): 0 | 1 {
  if (answerText === null) return 0;
  const p = extractChoice(answerText);
  const g = extractChoiceGold(gold);
  if (p === null || g === null) return 0;
  return p.toLowerCase() === g.toLowerCase() ? 1 : 0;
}
