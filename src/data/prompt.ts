/**
 * The QwenLong-L1 prompt template (qwenlong-recipe.md §2, verbatim from L1-paper
 * Table 1 and the L1 repo's eval scripts), its multiple-choice variant, rendering
 * through a chat template, and the inverse parse (document and question back from a
 * rendered prompt, used to load DocQA-RL-1.6K parquet rows).
 */
import { pyStrip } from '../util/pytext.ts';
import type { PromptMessage, DocQARecord } from './record.ts';

/** The template, verbatim. `$DOC$` is filled first, then `$Q$` (plain string replace). */
export const QWENLONG_TEMPLATE =
  'Please read the following text and answer the question below.\n\n<text>\n$DOC$\n</text>\n\n$Q$\n\nFormat your response as follows: "Therefore, the answer is (insert answer here)".';

/**
 * Multiple-choice variant. The answer sentence `The correct answer is (X)` is what the
 * RL reward's MC regex extracts (§4, §5.3); the exact MC prompt of DocQA-RL-1.6K is
 * UNVERIFIED (§2 rule 5), so this wording is inferred from LongBench v2's template.
 */
export const QWENLONG_MC_TEMPLATE =
  'Please read the following text and answer the question below.\n\n<text>\n$DOC$\n</text>\n\n$Q$\n\nFormat your response as follows: "The correct answer is (insert answer here)".';

export const CHOICE_LETTERS = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H'] as const;

/** Renders a chat (the tokenizer's `applyChatTemplate` with the generation prompt). */
export type ChatRenderer = (messages: PromptMessage[]) => string;

/**
 * Fills the template the way the reference code does:
 * `template.replace('$DOC$', doc.strip()).replace('$Q$', question.strip())`.
 * Python's `str.replace` replaces every occurrence; so does this (split/join), and the
 * DOC-first order means a `$Q$` inside the document is replaced too, as in the original.
 */
export function fillTemplate(template: string, document: string, question: string): string {
  return template.split('$DOC$').join(pyStrip(document)).split('$Q$').join(pyStrip(question));
}

/** The question text with choices appended, `(A) ...` one per line. */
export function questionWithChoices(question: string, choices: readonly string[] | undefined): string {
  if (!choices || choices.length === 0) return question;
  const lines = choices.map((c, i) => `(${CHOICE_LETTERS[i] ?? String(i)}) ${c}`);
  return `${pyStrip(question)}\n\n${lines.join('\n')}`;
}

type PromptFields = Pick<DocQARecord, 'document' | 'question' | 'choices'> & { metadata?: Record<string, unknown> | undefined };

/**
 * The user-turn content for a record (MC template when it has choices). A record
 * whose `metadata.rendered_prompt` is true (MiniLongBench items, verl rows without
 * QwenLong markers) already holds its whole prompt in `document`: used as is.
 */
export function promptContent(r: PromptFields): string {
  if (r.metadata?.['rendered_prompt'] === true) return r.document;
  const mc = r.choices !== undefined && r.choices.length > 0;
  return fillTemplate(mc ? QWENLONG_MC_TEMPLATE : QWENLONG_TEMPLATE, r.document, questionWithChoices(r.question, r.choices));
}

/** One user turn, no system prompt (§2 rule 2). */
export function promptMessages(r: PromptFields): PromptMessage[] {
  return [{ role: 'user', content: promptContent(r) }];
}

/** The prompt as the model sees it; without a chat renderer, the user content itself. */
export function renderPrompt(r: PromptFields, chat?: ChatRenderer): string {
  const messages = promptMessages(r);
  return chat ? chat(messages) : (messages[0] as PromptMessage).content;
}

const DOC_OPEN = '<text>\n';
const DOC_CLOSE = '\n</text>\n\n';
const FORMAT_MARK = '\n\nFormat your response as follows:';

/**
 * Recovers document and question from a filled template (or a chat-rendered prompt
 * containing one): the document lies between the first `<text>\n` and the last
 * `\n</text>\n\n`; the question runs from there to the last `\n\nFormat your response
 * as follows:` (or to the end when that line is absent). Returns null when the
 * markers are missing.
 */
export function parsePrompt(content: string): { document: string; question: string } | null {
  const open = content.indexOf(DOC_OPEN);
  if (open < 0) return null;
  const close = content.lastIndexOf(DOC_CLOSE);
  if (close < open + DOC_OPEN.length - 1) return null;
  const document = content.slice(open + DOC_OPEN.length, Math.max(close, open + DOC_OPEN.length));
  const rest = content.slice(close + DOC_CLOSE.length);
  const fmt = rest.lastIndexOf(FORMAT_MARK);
  const question = pyStrip(fmt >= 0 ? rest.slice(0, fmt) : rest);
  return { document, question };
}

/**
 * The SFT target for a record's trace after a rendered prompt. Traces start with
 * `<think>\n` (QwenLong format); chat templates that open the thinking block in the
 * generation prompt (R1-Distill, Qwen3: the prompt ends with `<think>\n`, recipe §2
 * rule 4) must not see it twice, so it is dropped from the target there.
 */
export function completionAfterPrompt(renderedPrompt: string, trace: string): string {
  const open = '<think>\n';
  if (renderedPrompt.endsWith(open) && trace.startsWith(open)) return trace.slice(open.length);
  if (renderedPrompt.endsWith('<think>') && trace.startsWith('<think>')) return trace.slice('<think>'.length);
  return trace;
}
