/**
 * fuzzywuzzy `fuzz.ratio` with python-Levenshtein installed (LongBench `code_sim_score`,
 * scorers.md §3): `Levenshtein.ratio` is `(L − d)/L` with `L = len1 + len2` and `d` the
 * Levenshtein distance where a substitution costs 2, i.e. the indel distance
 * `L − 2·LCS`. fuzzywuzzy then returns `int(round(100·ratio))` (Python round: half-even),
 * 100 for equal strings (checked first) and 0 when either is empty. Lengths are in code
 * points. difflib's `SequenceMatcher.ratio` (fuzzywuzzy without the C module) differs and
 * does not reproduce the LongBench oracle.
 */
import { pyRound } from './pyround.ts';

/** Length of the longest common subsequence of two code-point arrays. */
export function lcsLength(a_N: readonly string[], b_M: readonly string[]): number {
  if (a_N.length === 0 || b_M.length === 0) return 0;
  let prev = new Int32Array(b_M.length + 1);
  let cur = new Int32Array(b_M.length + 1);
  for (let i = 1; i <= a_N.length; i++) {
    const ai = a_N[i - 1];
    for (let j = 1; j <= b_M.length; j++) {
      if (ai === b_M[j - 1]) cur[j] = (prev[j - 1] as number) + 1;
      else cur[j] = Math.max(prev[j] as number, cur[j - 1] as number);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b_M.length] as number;
}

/** Indel distance (insertions and deletions only) over code points. */
export function indelDistance(a: string, b: string): number {
  const A = Array.from(a);
  const B = Array.from(b);
  return A.length + B.length - 2 * lcsLength(A, B);
}

/** python-Levenshtein `Levenshtein.ratio(a, b)` in [0, 1]. */
export function levenshteinRatio(a: string, b: string): number {
  const A = Array.from(a);
  const B = Array.from(b);
  const total = A.length + B.length;
  if (total === 0) return 1;
  const dist = total - 2 * lcsLength(A, B);
  return (total - dist) / total;
}

/** fuzzywuzzy `fuzz.ratio(a, b)`: an integer 0–100. */
export function fuzzRatio(a: string, b: string): number {
  if (a === b) return 100;
  if (a.length === 0 || b.length === 0) return 0;
  return pyRound(100 * levenshteinRatio(a, b));
}
