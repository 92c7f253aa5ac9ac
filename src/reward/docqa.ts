/**
 * DocQA sub-exact-match (QwenLong-L1 `docqa.py`; qwenlong-recipe.md §5.1, scorers.md §2):
 * SQuAD-normalise both sides and score 1 when either contains the other. The paper says
 * "exact match"; the code is two-way containment (L1.5 calls it CEM).
 */
import { normalizeAnswer } from '../util/pytext.ts';

/** `default` = longrl's guarded behaviour; `reference` = the original code, quirks included. */
export type Compat = 'default' | 'reference';

export interface SubEmOptions {
  /**
   * `reference`: an answer that normalises to "" (e.g. "the") is a substring of every
   * gold and scores 1, as in the original. `default` (contracts.md §6): an empty
   * normalised prediction or gold scores 0, so a policy cannot learn to answer "the".
   */
  compat?: Compat;
}

/** Sub-EM of one prediction against one gold: 1 or 0. */
export function subEm(prediction: string, gold: string, opts: SubEmOptions = {}): 0 | 1 {
  const p = normalizeAnswer(prediction);
  const g = normalizeAnswer(gold);
  if ((opts.compat ?? 'default') !== 'reference' && (p === '' || g === '')) return 0;
  return g.includes(p) || p.includes(g) ? 1 : 0;
}

/** Sub-EM against several golds (any one correct): the maximum. */
export function subEmMax(prediction: string, golds: readonly string[], opts: SubEmOptions = {}): 0 | 1 {
  for (const g of golds) if (subEm(prediction, g, opts) === 1) return 1;
  return 0;
}
