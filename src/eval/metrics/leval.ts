/**
 * L-Eval scorers (OpenLMLab/LEval `Evaluation/`; scorers.md §11): SQuAD v1.1 F1 for the
 * open-ended tasks and the exam exact match with partial credit for the closed ones, plus
 * `auto_eval.py`'s multiple-choice answer clean-up.
 */
import { pySplit, removeArticles, removePunctuation } from '../../util/pytext.ts';
import { maxOverGolds, qaF1Score } from './tokenf1.ts';

/** `em.py normalize_answer`: like SQuAD's but without lower-casing. */
export function lEvalEmNormalize(s: string): string {
  return pySplit(removeArticles(removePunctuation(s))).join(' ');
}

/** Python `float(s)` for the exam comparison; null when Python raises ValueError. */
function pyFloat(s: string): number | null {
  const t = s.trim();
  const D = '\\d(?:_?\\d)*';
  if (new RegExp(`^[+-]?(?:${D}\\.?(?:${D})?|\\.${D})(?:[eE][+-]?${D})?$`).test(t)) return Number(t.replaceAll('_', ''));
  if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(t)) return NaN;
  return null;
}

/**
 * `em.py exact_match_score`: a gold made only of the letters A–D (after normalisation)
 * scores 1 on an exact normalised match and 0.25 when the prediction's character set is
 * a subset of the gold's (some of several correct options); any other gold compares as
 * floats when both parse, else as a space-insensitive, case-insensitive substring of the
 * prediction's first line longer than one character.
 */
export function lEvalExactMatch(prediction: string, groundTruth: string): number {
  const ng = lEvalEmNormalize(groundTruth);
  const lettersOnly = [...ng].every((c) => c === 'A' || c === 'B' || c === 'C' || c === 'D');
  if (lettersOnly) {
    const np = lEvalEmNormalize(prediction);
    if (np === ng) return 1;
    const gs = new Set(ng);
    return [...np].every((c) => gs.has(c)) ? 0.25 : 0;
  }
  const pre = pyFloat(prediction);
  const gt = pyFloat(groundTruth);
  if (pre !== null && gt !== null) return pre === gt ? 1 : 0;
  let pred = prediction;
  for (const line of prediction.split('\n')) {
    if ([...line].length > 1) {
      pred = line;
      break;
    }
  }
  return pred.toLowerCase().replaceAll(' ', '').includes(groundTruth.toLowerCase().replaceAll(' ', '')) ? 1 : 0;
}

/** `compute_exact_match`: `100 · Σ max-over-refs EM / n`. */
export function lEvalExamScore(predictions_N: readonly string[], references_N: readonly (readonly string[])[]): number {
  let total = 0;
  predictions_N.forEach((p, i) => {
    let best = -Infinity;
    for (const g of references_N[i] as readonly string[]) best = Math.max(best, lEvalExactMatch(p, g));
    total += best;
  });
  return (100.0 * total) / predictions_N.length;
}

/** `f1.py compute_f1`: `100 · Σ max-over-refs SQuAD F1 / n`. */
export function lEvalF1Score(predictions_N: readonly string[], references_N: readonly (readonly string[])[]): number {
  let total = 0;
  predictions_N.forEach((p, i) => {
    total += maxOverGolds(qaF1Score, p, references_N[i] as readonly string[]);
  });
  return (100.0 * total) / predictions_N.length;
}

/** `auto_eval.py process_gt_mc`: the A–D letters of the gold's first word, else "A". */
export function lEvalGoldChoice(gt: string): string {
  const first = pySplit(gt)[0] ?? '';
  const cleaned = first.replace(/[^A-D]/g, '');
  return cleaned.length < 1 ? 'A' : cleaned;
}

/**
 * `auto_eval.py process_output_mc` for single-answer tasks (QuALITY, TOEFL, …): "None"
 * for a blank response, the response itself if it is a substring of "ABCD", else its
 * first A–D character. With `multi` (coursera) the multi-answer branch runs instead.
 */
export function lEvalOutputChoice(response: string, multi = false): string {
  if (response.trim().length === 0) return 'None';
  if ('ABCD'.includes(response)) return response;
  if (!multi) {
    for (const ch of response) if ('ABCD'.includes(ch)) return ch;
  }
  let cleaned = '';
  let rest = response;
  for (const ch of response) {
    if ('ABCD'.includes(ch)) {
      cleaned += ch;
      rest = rest.slice(1);
    } else break;
  }
  const sortedSet = (s: string): string => [...new Set(s)].sort().join('');
  if (cleaned.length > 1) return sortedSet(cleaned);
  rest = rest.split('Question')[0] as string;
  const options = rest.match(/\s*[A-Z](?=[\s.)])/g) ?? [];
  cleaned += options.join(' ').trim();
  cleaned = sortedSet(cleaned.replace(/[^A-D]/g, ''));
  if (cleaned.length < 1) {
    let has = false;
    for (const ch of rest) {
      if ('ABCD'.includes(ch)) {
        cleaned += ch;
        has = true;
      } else if (has) break;
    }
  }
  return cleaned.length < 1 ? 'A' : cleaned;
}
