/**
 * The small tokenizer interface the data tools need: encode text, and optionally
 * render a chat the way the model's chat template does (with the generation prompt).
 * The real tokenizer (`src/tokenizer/`) fits it; tests also use the whitespace counter.
 */
import { pySplit } from '../util/pytext.ts';
import { hash32 } from '../util/rng.ts';
import type { PromptMessage } from './record.ts';

export interface TokenCounter {
  encode(text: string): number[];
  /** The rendered prompt for a chat; without it the user content alone is counted. */
  renderChat?(messages: PromptMessage[]): string;
}

/** One token per whitespace-separated word (Python `str.split()`); ids are word hashes. */
export const whitespaceCounter: TokenCounter = {
  encode: (text: string) => pySplit(text).map((w) => hash32(w)),
};

/**
 * A whitespace counter with a fixed chat template (`<|user|> ... <|assistant|>`),
 * so tests cover the rendered-prompt path without the real tokenizer.
 */
export const whitespaceChatCounter: TokenCounter = {
  encode: whitespaceCounter.encode,
  renderChat: (messages) => `${messages.map((m) => `<|${m.role}|>\n${m.content}`).join('\n')}\n<|assistant|>\n`,
};
