/**
 * Score tables: overall and per-group `round(100 · mean, 2)` over per-item scores in
 * [0, 1] (micro average: every item weighs the same), as `longrl score` prints them
 * (contracts.md §4). Sums run left to right in input order, as LongBench's `scorer`
 * accumulates them.
 */
import { compareCodePoints, pyRound } from './pyround.ts';
import { npMean } from './numpy.ts';

export interface ScoreTable {
  overall: number;
  groups: Record<string, number>;
  count: number;
}

/** `round(100 · Σ / n, 2)`; NaN for no items. */
export function percentMean(scores_N: readonly number[], ndigits = 2): number {
  if (scores_N.length === 0) return NaN;
  let total = 0;
  for (const s of scores_N) total += s;
  return pyRound((100 * total) / scores_N.length, ndigits);
}

/**
 * Overall and per-group scores. `groups_N[i]` is item i's group (null: overall only).
 * Group keys come out sorted by code point so the output does not depend on input order.
 * `groupMean: 'numpy'` averages groups as LongBench-E's `scorer_e` does
 * (`round(100 * np.mean(x), 2)`, pairwise summation).
 */
export function scoreTable(
  scores_N: readonly number[],
  groups_N?: readonly (string | null)[],
  groupMean: 'loop' | 'numpy' = 'loop',
): ScoreTable {
  const byGroup = new Map<string, number[]>();
  if (groups_N) {
    scores_N.forEach((s, i) => {
      const g = groups_N[i];
      if (g === null || g === undefined) return;
      let list = byGroup.get(g);
      if (!list) byGroup.set(g, (list = []));
      list.push(s);
    });
  }
  const groups: Record<string, number> = {};
  for (const k of [...byGroup.keys()].sort(compareCodePoints)) {
    const list = byGroup.get(k) as number[];
    groups[k] = groupMean === 'numpy' ? pyRound(100 * npMean(list), 2) : percentMean(list);
  }
  return { overall: percentMean(scores_N), groups, count: scores_N.length };
}
