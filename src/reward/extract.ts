/**
 * Answer extraction, as QwenLong-L1 does it (qwenlong-recipe.md §4; scorers.md §4, §5).
 *
 * Two modes:
 * - `rl` (training reward): no `</think>` means no answer (reward 0); the answer text is
 *   what follows the last `</think>`, trimmed.
 * - `evaluation` (QwenLong-L1 `eval/*.py`): no `</think>` means the whole response; an
 *   empty tail after `</think>` also falls back to the whole response.
 *
 * Every string operation mirrors the Python one it replaces: `str.strip()` uses Python's
 * whitespace set, `strip('.')` is a character-set strip, "last occurrence" is
 * `split(x)[-1]`, and regexes take the first match like `re.search`.
 */
import { pyStrip } from '../util/pytext.ts';

export type ExtractMode = 'rl' | 'evaluation';

const THINK_CLOSE = '</think>';
const ANSWER_MARKER = 'the answer is';
const SPECIAL_TOKENS = ['<｜Assistant｜>', '<｜end▁of▁sentence｜>'];

/** Python `s.strip('.')`. */
export function stripDots(s: string): string {
  return s.replace(/^\.+|\.+$/g, '');
}

/** Python `s.rstrip('.')`. */
export function rstripDots(s: string): string {
  return s.replace(/\.+$/, '');
}

/**
 * The answer part of a response: the text after the last `</think>`, trimmed.
 * `rl`: null when `</think>` is absent. `evaluation`: the whole (trimmed) response when
 * `</think>` is absent or nothing follows it.
 */
export function answerSection(response: string, mode: ExtractMode = 'rl'): string | null {
  const at = response.lastIndexOf(THINK_CLOSE);
  if (mode === 'rl') return at < 0 ? null : pyStrip(response.slice(at + THINK_CLOSE.length));
  const whole = pyStrip(response);
  if (at < 0) return whole;
  const tail = pyStrip(response.slice(at + THINK_CLOSE.length));
  return tail === '' ? whole : tail;
}

/**
 * QA answer (multihoprag / musique / docqa): delete `*`; the text after the last
 * case-sensitive "the answer is" (so "Therefore, the answer is X" matches and a
 * sentence-initial "The answer is X" does not), minus the R1 special tokens, trimmed,
 * with dots stripped from both ends. Null when the marker is absent.
 */
export function extractQaAnswer(text: string): string | null {
  const s = text.replaceAll('*', '');
  const at = s.lastIndexOf(ANSWER_MARKER);
  if (at < 0) return null;
  let ans = s.slice(at + ANSWER_MARKER.length);
  for (const tok of SPECIAL_TOKENS) ans = ans.replaceAll(tok, '');
  return pyStrip(stripDots(pyStrip(ans)));
}

/**
 * DocMath-Eval's extraction regex (qwenlong-recipe.md §5.2): case-insensitive, first match.
 * The optional prefix symbols must appear in exactly this order, so `-$5` does not match,
 * and scientific notation is cut at the `e`.
 */
const DOCMATH_RE = /the answer is (=?≈?`?%?\$?°?£?€?¥?-?[0-9.,]+)/iu;

/**
 * DocMath answer: delete `*` (evaluation mode also deletes `(` and `)`), take group 1 of
 * the first regex match, delete commas, strip trailing dots. Null when nothing matches.
 */
export function extractDocmathAnswer(text: string, mode: ExtractMode = 'rl'): string | null {
  let s = text.replaceAll('*', '');
  if (mode === 'evaluation') s = s.replaceAll('(', '').replaceAll(')', '');
  const m = DOCMATH_RE.exec(s);
  if (!m) return null;
  return rstripDots((m[1] as string).replaceAll(',', ''));
}

/**
 * When evaluation finds no DocMath number, QwenLong-L1 still sends the judge something:
 * the answer section without "Therefore, the answer is" and without trailing dots
 * (scorers.md §5).
 */
export function docmathJudgeFallbackText(answerText: string): string {
  return pyStrip(rstripDots(pyStrip(answerText.replaceAll('Therefore, the answer is', ''))));
}

const CHOICE_PAREN_RE = /The correct answer is \(([A-D])\)/;
const CHOICE_BARE_RE = /The correct answer is ([A-D])/;

/**
 * Multiple-choice letter (LongBench v2 / QwenLong `long.py`): delete `*`, first match of
 * `The correct answer is \(([A-D])\)`, else of `The correct answer is ([A-D])`
 * (case-sensitive). Null when neither matches.
 */
export function extractChoice(text: string): string | null {
  const s = text.replaceAll('*', '');
  const m = CHOICE_PAREN_RE.exec(s) ?? CHOICE_BARE_RE.exec(s);
  return m ? (m[1] as string) : null;
}

/**
 * The letter of a multiple-choice gold: the same regexes as the prediction, and, since
 * training data often stores just the letter, a bare `B`, `(B)` or `B.` as well.
 */
export function extractChoiceGold(gold: string): string | null {
  const viaRegex = extractChoice(gold);
  if (viaRegex !== null) return viaRegex;
  const m = /^\(?([A-Da-d])\)?\.?$/.exec(pyStrip(gold));
  return m ? (m[1] as string).toUpperCase() : null;
}

/**
 * The gold of a QA or DocMath item as the reference parses it: with the same extractor
 * as the prediction (RL ground truths read "…the answer is X"); a gold without the marker
 * is used whole (trimmed, dots stripped), where the original code would crash.
 */
export function extractGold(gold: string, kind: 'qa' | 'math', mode: ExtractMode = 'rl'): string {
  const got = kind === 'qa' ? extractQaAnswer(gold) : extractDocmathAnswer(gold, mode);
  return got ?? pyStrip(stripDots(pyStrip(gold)));
}
