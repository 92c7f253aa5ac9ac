/**
 * Reasoning and answer out of a teacher's reply, whichever way the endpoint returns it:
 * - a separate `reasoning_content` field (vLLM's reasoning parsers, DeepSeek's API; some
 *   servers call it `reasoning`), with the answer in `content`;
 * - `<think>…</think>` blocks inside `content` (R1-style models served without a reasoning
 *   parser). When the chat template opens the block itself (R1-Distill ends the prompt with
 *   `<think>\n`, qwenlong-recipe.md §2 rule 4), the reply holds only the closing `</think>`.
 *
 * The SFT trace is rebuilt in the QwenLong format the SFT trainer and the RL reward expect
 * (src/data/record.ts): `<think>\n{reasoning}\n</think>\n\n{answer}`; the reward's RL-mode
 * extraction reads the text after the last `</think>` (recipe §4).
 */

/** Where the reasoning was found. */
export type ReasoningFormat = 'reasoning_content' | 'think' | 'none';

export interface SplitReply {
  /** The reasoning text (trimmed); empty when there was none. */
  reasoning: string;
  /** The answer part (text after the reasoning, trimmed). */
  answer: string;
  format: ReasoningFormat;
  /** A `<think>` was opened and never closed: the answer is missing (a cut-off reply). */
  unclosed: boolean;
}

const OPEN = '<think>';
const CLOSE = '</think>';

/** Removes every `<think>` / `</think>` tag from a reasoning text. */
function stripTags(s: string): string {
  return s.split(OPEN).join('').split(CLOSE).join('');
}

/** Splits `content` at its last `</think>`; the part before is reasoning (tags removed). */
function splitThink(content: string): SplitReply {
  const close = content.lastIndexOf(CLOSE);
  if (close < 0) {
    const open = content.indexOf(OPEN);
    if (open >= 0) {
      return { reasoning: stripTags(content.slice(open)).trim(), answer: '', format: 'think', unclosed: true };
    }
    return { reasoning: '', answer: content.trim(), format: 'none', unclosed: false };
  }
  return {
    reasoning: stripTags(content.slice(0, close)).trim(),
    answer: content.slice(close + CLOSE.length).trim(),
    format: 'think',
    unclosed: false,
  };
}

/**
 * Reasoning and answer of one reply. A non-empty `reasoningContent` wins; think blocks
 * left in `content` beside it are folded into the reasoning after it.
 */
export function splitReply(content: string | null | undefined, reasoningContent?: string | null): SplitReply {
  const c = content ?? '';
  const inContent = splitThink(c);
  const rc = (reasoningContent ?? '').trim();
  if (rc === '') return inContent;
  const extra = inContent.format === 'think' ? inContent.reasoning : '';
  return {
    reasoning: extra ? `${rc}\n\n${extra}` : rc,
    answer: inContent.answer,
    format: 'reasoning_content',
    unclosed: inContent.unclosed,
  };
}

/** The SFT trace in the QwenLong format: `<think>\n{reasoning}\n</think>\n\n{answer}`. */
export function qwenlongTrace(reasoning: string, answer: string): string {
  return `${OPEN}\n${reasoning.trim()}\n${CLOSE}\n\n${answer.trim()}`;
}
