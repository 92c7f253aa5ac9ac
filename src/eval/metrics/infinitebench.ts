/**
 * InfiniteBench scorers (OpenBMB/InfiniteBench `src/compute_scores.py`; scorers.md §8).
 * Each returns true/false for one item; the task score is the mean × 100.
 */
import { pySplit, pyStrip } from '../../util/pytext.ts';
import { tokenPrf } from './tokenf1.ts';

/** `first_int_match`: the first maximal run of ASCII digits, or "". */
export function firstIntMatch(prediction: string): string {
  const m = /[0-9]+/.exec(prediction);
  return m ? m[0] : '';
}

/** passkey and number_string: the label equals the first digit run. */
export function passkeyCorrect(prediction: string, label: string): boolean {
  return label === firstIntMatch(prediction);
}

const KV_SEPARATORS = ['\n', ':', '"', "'", '.', ',', '?', '!', '{', '}'];

/** kv_retrieval: the label is one of the words after replacing separators by spaces. */
export function kvRetrievalCorrect(prediction: string, label: string): boolean {
  let p = prediction;
  for (const c of KV_SEPARATORS) p = p.replaceAll(c, ' ');
  return pySplit(p).includes(label);
}

/**
 * longbook_choice_eng. `labels` is the item's answer list (the option letter and/or the
 * option text). Ported branch by branch: a first character in "ABCD" decides; else the
 * text after the first answer prefix found; else the first word `w` with `w in "ABCD"`
 * (a Python substring test, so "AB" counts). The prediction is stripped first (scorers.md
 * §8; one upstream revision skips that). An empty prediction, where the reference would
 * index `pred[0]` and crash, is simply wrong.
 */
export function choiceCorrect(prediction: string, labels: readonly string[]): boolean {
  let p = pyStrip(prediction);
  if (p.length === 0) return false;
  const c0 = p[0] as string;
  if ('ABCD'.includes(c0)) return labels.includes(c0);
  for (const c of ['\n', '"', "'", '.', ',', '?', '!', '{', '}']) p = p.replaceAll(c, ' ');
  while (p.includes('  ')) p = p.replaceAll('  ', ' ');
  for (const prefix of ['answer is:', 'answer:', 'answer is', 'option is']) {
    const idx = p.indexOf(prefix);
    if (idx === -1) continue;
    if (p.length < idx + prefix.length + 1) return false;
    const after = p.slice(idx + prefix.length + 1);
    return labels.some((s) => after.startsWith(s));
  }
  for (const w of pySplit(p)) if ('ABCD'.includes(w)) return labels.includes(w);
  return false;
}

/** Chinese punctuation InfiniteBench's `normalize_zh_answer` deletes (besides ASCII). */
const CN_PUNCTUATION =
  '！？｡。＂＃＄％＆＇（）＊＋，－／：；＜＝＞＠［＼］＾＿｀｛｜｝～｟｠｢｣､、〃》「」『』【】〔〕〖〗〘〙〚〛〜〝〞〟〰〾〿–—‘’‛“”„‟…‧﹏.';
const ZH_PUNCT = new Set([...'!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~', ...CN_PUNCTUATION]);

/** `normalize_zh_answer`: lower-case, delete ASCII and Chinese punctuation, delete whitespace. */
export function normalizeZhAnswer(s: string): string {
  let out = '';
  for (const ch of s.toLowerCase()) if (!ZH_PUNCT.has(ch)) out += ch;
  return pySplit(out).join('');
}

/**
 * InfiniteBench `qa_f1_score_zh` for one gold: one code point per token, multiset F1.
 * (LongBench's `qa_f1_zh_score` segments words with jieba instead and is not provided.)
 */
export function qaF1ZhChar(prediction: string, groundTruth: string): number {
  return tokenPrf(Array.from(normalizeZhAnswer(prediction)), Array.from(normalizeZhAnswer(groundTruth))).f1;
}
