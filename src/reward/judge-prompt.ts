/**
 * The QwenLong-L1 judge prompt, verbatim (qwenlong-recipe.md §3; identical in the paper,
 * the reward code and the eval code), and the verdict parsers.
 */
import { pyStrip } from '../util/pytext.ts';

/** System message; ends with a newline after `[[NO]]`. */
export const JUDGE_SYSTEM_PROMPT =
  'You are an expert in verifying if two answers are the same.\n' +
  'Your input is a problem and two answers, Answer 1 and Answer 2. You need to check if they are equivalent.\n' +
  'Your task is to determine if two answers are equivalent, without attempting to solve the original problem.\n' +
  'Compare the answers to verify they represent identical values or meaning, even when written in different forms or notations.\n' +
  '\n' +
  'Your output must follow the following format:\n' +
  '1) Provide an explanation for why the answers are equivalent or not.\n' +
  '2) Then provide your final answer in the form of: [[YES]] or [[NO]]\n';

/** User message, with the leading and trailing newline of the original. */
export function judgeUserMessage(problem: string, answer1: string, answer2: string): string {
  return `\nProblem: ${problem}\nAnswer 1: ${answer1}\nAnswer 2: ${answer2}\n`;
}

export interface ParsedVerdict {
  /** Reference rule: the reply contains the substring `YES` anywhere (an explanation saying "YES" counts). */
  yes: boolean;
  /** Strict rule: the last `[[YES]]`/`[[NO]]` in the reply is `[[YES]]`. */
  strictYes: boolean;
  /** Whether the reply holds a bracketed verdict at all. */
  hasVerdict: boolean;
}

/** Parses a judge reply both ways (reference substring and strict brackets). */
export function parseVerdict(reply: string): ParsedVerdict {
  const y = reply.lastIndexOf('[[YES]]');
  const n = reply.lastIndexOf('[[NO]]');
  return { yes: reply.includes('YES'), strictYes: y >= 0 && y > n, hasVerdict: y >= 0 || n >= 0 };
}

const TEXT_CLOSE = '</text>';
const FORMAT_MARK = 'Format your response as follows:';

/**
 * The judge's `problem` in training: the slice of the prompt between `</text>` and
 * `Format your response as follows:`, stripped (qwenlong-recipe.md §3). Null when the
 * prompt lacks the markers (not a QwenLong-template prompt).
 */
export function questionFromPrompt(prompt: string): string | null {
  const a = prompt.indexOf(TEXT_CLOSE);
  if (a < 0) return null;
  const start = a + TEXT_CLOSE.length;
  const b = prompt.indexOf(FORMAT_MARK, start);
  if (b < 0) return null;
  return pyStrip(prompt.slice(start, b));
}
