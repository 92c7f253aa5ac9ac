/**
 * Python string semantics that reference scorers rely on (scorers.md §1, §13):
 * `string.punctuation`, `str.split()` whitespace, Unicode `\b` around articles,
 * and the SQuAD / HotpotQA `normalize_answer`.
 */

/** Python's `string.punctuation`: the 32 ASCII punctuation characters, nothing else. */
export const PY_PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
const PUNCT_SET = new Set(PY_PUNCTUATION);

/** Characters Python's no-argument `str.split()` splits on. */
const PY_WS = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_WS_RUN = new RegExp(`[${PY_WS}]+`, 'g');
const PY_WS_EDGE = new RegExp(`^[${PY_WS}]+|[${PY_WS}]+$`, 'g');

/** Python `s.split()` (no argument). */
export function pySplit(s: string): string[] {
  const t = s.replace(PY_WS_EDGE, '');
  return t === '' ? [] : t.split(PY_WS_RUN);
}

/** Python `s.strip()` (no argument). */
export function pyStrip(s: string): string {
  return s.replace(PY_WS_EDGE, '');
}

/** Python `re.sub(r'\b(a|an|the)\b', ' ', s)` with Unicode word boundaries. */
export function removeArticles(s: string): string {
  return s.replace(/(?<![\p{L}\p{N}_])(a|an|the)(?![\p{L}\p{N}_])/gu, ' ');
}

/** Deletes every ASCII punctuation character. */
export function removePunctuation(s: string): string {
  let out = '';
  for (const ch of s) if (!PUNCT_SET.has(ch)) out += ch;
  return out;
}

/**
 * SQuAD / HotpotQA `normalize_answer`: lower-case, delete ASCII punctuation, replace
 * the words a/an/the by a space, collapse whitespace. Used by LongBench `qa_f1_score`
 * and QwenLong-L1 sub-EM.
 */
export function normalizeAnswer(s: string): string {
  return pySplit(removeArticles(removePunctuation(s.toLowerCase()))).join(' ');
}
