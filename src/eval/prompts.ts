/**
 * The user message of an evaluation item, and middle truncation to the input budget.
 * - QwenLong-L1 template (qwenlong-recipe.md §2) for DocMath, Frames, LongBench v1 and
 *   the synthetic suites (their multiple-choice variant for choice records);
 * - LongBench v2's own 0-shot template (scorers.md §4);
 * - closed-book Frames (no articles offline): the question and the answer-format line;
 * - MiniLongBench items: their already-rendered prompt, as is.
 * Truncation (§14.1 step 2): over budget, the user message's token ids keep
 * `ids[:h] + ids[-h:]` (h = budget/2) and are decoded back with special tokens skipped.
 */
import { promptContent } from '../data/prompt.ts';
import { middleTruncate } from '../data/lengths.ts';
import { pyStrip } from '../util/pytext.ts';
import type { EvalItem } from './items.ts';

/** LongBench v2 `prompts/0shot.txt`, verbatim. */
export const LONGBENCH_V2_TEMPLATE =
  'Please read the following text and answer the question below.\n\n<text>\n$DOC$\n</text>\n\nWhat is the correct answer to this question: $Q$\nChoices:\n(A) $C_A$\n(B) $C_B$\n(C) $C_C$\n(D) $C_D$\n\nFormat your response as follows: "The correct answer is (insert answer here)".';

export const CLOSED_BOOK_TEMPLATE = '$Q$\n\nFormat your response as follows: "Therefore, the answer is (insert answer here)".';

/** Python `str.replace` (every occurrence). */
function replaceAll(s: string, from: string, to: string): string {
  return s.split(from).join(to);
}

export function itemContent(item: EvalItem): string {
  if (item.renderedPrompt !== undefined) return item.renderedPrompt;
  if (item.kind === 'choice') {
    const c = item.choices ?? [];
    let t = replaceAll(LONGBENCH_V2_TEMPLATE, '$DOC$', pyStrip(item.document));
    t = replaceAll(t, '$Q$', pyStrip(item.question));
    ['A', 'B', 'C', 'D'].forEach((l, i) => { t = replaceAll(t, `$C_${l}$`, pyStrip(c[i] ?? '')); });
    return t;
  }
  if (item.closedBook) return replaceAll(CLOSED_BOOK_TEMPLATE, '$Q$', pyStrip(item.question));
  return promptContent({ document: item.document, question: item.question, ...(item.choices ? { choices: item.choices } : {}) });
}

export interface Truncator {
  encode(text: string): number[];
  decode(ids: readonly number[], opts?: { skipSpecialTokens?: boolean }): string;
}

/** The user message cut to `maxTokens` in the middle; `truncated` tells whether it was. */
export function truncateContent(content: string, tok: Truncator | null, maxTokens: number): { content: string; tokens: number | null; truncated: boolean } {
  if (!tok) return { content, tokens: null, truncated: false };
  const ids = tok.encode(content);
  if (ids.length <= maxTokens) return { content, tokens: ids.length, truncated: false };
  const kept = middleTruncate(ids, maxTokens);
  return { content: tok.decode(kept, { skipSpecialTokens: true }), tokens: kept.length, truncated: true };
}
