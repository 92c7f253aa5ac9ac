/**
 * LongBench `rouge_score`: pltrdy `rouge` 1.0.1 `Rouge().get_scores([pred], [gold],
 * avg=True)["rouge-l"]["f"]`, any exception → 0 (scorers.md §3). That is the
 * summary-level ROUGE-L of Lin (2004) §3.2 as pltrdy writes it:
 *
 * 1. sentences: `text.split('.')`, pieces of length 0 dropped *before* whitespace is
 *    collapsed (`" ".join(piece.split())`), so a blank piece survives as "";
 * 2. words: each sentence split on a single space (so "" is a word);
 * 3. `m`, `n`: numbers of unique words in reference / hypothesis;
 * 4. for each reference sentence, the LCS words against every hypothesis sentence are
 *    collected as a set; `llcs` grows by how much a running union (across reference
 *    sentences) grows;
 * 5. the LCS backtrack goes up only if `T[i−1][j] > T[i][j−1]`, else left;
 * 6. `r = llcs/m`, `p = llcs/n`, `f = 2·((p·r)/(p + r + 1e-8))`.
 *
 * No LongBench oracle reproduces these scores (data README), so this follows the code
 * description and is tested on hand-worked examples.
 */
import { pySplit } from '../../util/pytext.ts';

/**
 * Python's default recursion limit is 1000 frames; pltrdy's recursive backtrack (one
 * frame per step, plus the base call) raises RecursionError (→ score 0) on long
 * sentence pairs. Under LongBench's `eval.py` nine frames sit below the first `_recon`
 * (module, scorer, rouge_score, get_scores, _get_avg_scores, the metric lambda,
 * rouge_l_summary_level, _union_lcs, _recon_lcs), leaving 990 backtrack steps. Another
 * caller depth shifts this by a few steps.
 */
export const ROUGE_RECURSION_LIMIT = 990;

class RougeError extends Error {}

function sentences(text: string): string[] {
  return text
    .split('.')
    .filter((p) => p.length > 0)
    .map((p) => pySplit(p).join(' '));
}

/** LCS table (n+1)×(m+1) row-major. */
function lcsTable(x: readonly string[], y: readonly string[]): Int32Array {
  const w = y.length + 1;
  const t = new Int32Array((x.length + 1) * w);
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      if (x[i - 1] === y[j - 1]) t[i * w + j] = (t[(i - 1) * w + j - 1] as number) + 1;
      else t[i * w + j] = Math.max(t[(i - 1) * w + j] as number, t[i * w + j - 1] as number);
    }
  }
  return t;
}

/** pltrdy `_recon_lcs`: the LCS words of x and y, as the backtrack finds them. */
function reconLcs(x: readonly string[], y: readonly string[]): string[] {
  const w = y.length + 1;
  const t = lcsTable(x, y);
  const out: string[] = [];
  let i = x.length;
  let j = y.length;
  let depth = 0;
  while (i > 0 && j > 0) {
    if (++depth > ROUGE_RECURSION_LIMIT) throw new RougeError('recursion limit');
    if (x[i - 1] === y[j - 1]) {
      out.push(x[i - 1] as string);
      i--;
      j--;
    } else if ((t[(i - 1) * w + j] as number) > (t[i * w + j - 1] as number)) i--;
    else j--;
  }
  return out.reverse();
}

/** ROUGE-L summary-level scores; throws RougeError where pltrdy raises. */
function rougeLSummary(hyp: readonly string[], ref: readonly string[]): { f: number; p: number; r: number } {
  if (hyp.length === 0 || ref.length === 0) throw new RougeError('Collections must contain at least 1 sentence.');
  const refWords = ref.map((s) => s.split(' '));
  const hypWords = hyp.map((s) => s.split(' '));
  const m = new Set(refWords.flat()).size;
  const n = new Set(hypWords.flat()).size;
  let union = new Set<string>();
  let llcs = 0;
  for (const r of refWords) {
    const prevCount = union.size;
    const next = new Set(union);
    for (const h of hypWords) for (const word of reconLcs(r, h)) next.add(word);
    union = next;
    llcs += union.size - prevCount;
  }
  const rLcs = llcs / m;
  const pLcs = llcs / n;
  const f = 2.0 * ((pLcs * rLcs) / (pLcs + rLcs + 1e-8));
  return { f, p: pLcs, r: rLcs };
}

/** LongBench `rouge_score(prediction, ground_truth)`: ROUGE-L F, 0 on any failure. */
export function rougeScore(prediction: string, groundTruth: string): number {
  try {
    return rougeLSummary(sentences(prediction), sentences(groundTruth)).f;
  } catch (err) {
    if (err instanceof RougeError) return 0.0;
    throw err;
  }
}
