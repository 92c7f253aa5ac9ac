/**
 * The tokenizer files `init-model` presets ship: a byte-level BPE trained on the
 * built-in corpus plus caller text, Qwen's special tokens, and a `tokenizer_config.json`
 * in Qwen2.5's layout with the ChatML chat template.
 */
import { trainByteLevelBpe } from './bpe-trainer.ts';
import { CHATML_TEMPLATE } from './chat-template.ts';
import { builtinCorpus } from './corpus.ts';

export const SPECIAL_TOKENS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'];
/** Added but not special, as in Qwen3 (they survive skip_special_tokens). */
export const THINK_TOKENS = ['<think>', '</think>'];

interface AddedTokenJson {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

/** `tokenizer_config.json` for a tokenizer.json with the Qwen special tokens (Qwen2.5 layout). */
export function chatmlTokenizerConfig(tokenizerJson: Record<string, unknown>, modelMaxLength: number): Record<string, unknown> {
  const added = tokenizerJson['added_tokens'] as AddedTokenJson[];
  const decoder: Record<string, unknown> = {};
  for (const t of added) {
    decoder[String(t.id)] = {
      content: t.content, lstrip: t.lstrip, normalized: t.normalized, rstrip: t.rstrip, single_word: t.single_word, special: t.special,
    };
  }
  return {
    add_bos_token: false,
    add_prefix_space: false,
    added_tokens_decoder: decoder,
    additional_special_tokens: ['<|im_start|>', '<|im_end|>'],
    bos_token: null,
    chat_template: CHATML_TEMPLATE,
    clean_up_tokenization_spaces: false,
    eos_token: '<|im_end|>',
    errors: 'replace',
    model_max_length: modelMaxLength,
    pad_token: '<|endoftext|>',
    split_special_tokens: false,
    tokenizer_class: 'Qwen2Tokenizer',
    unk_token: null,
  };
}

export interface PresetTokenizer {
  tokenizerJson: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
}

/** Trains the preset tokenizer: `extraTexts` (task text) with priority, then the built-in corpus; `vocabSize` total. */
export function buildChatTokenizer(opts: { vocabSize: number; extraTexts?: string[]; modelMaxLength?: number; seed?: number }): PresetTokenizer {
  const tokenizerJson = trainByteLevelBpe(builtinCorpus({ seed: opts.seed ?? 0 }), {
    vocabSize: opts.vocabSize,
    specialTokens: SPECIAL_TOKENS,
    addedTokens: THINK_TOKENS,
    // Task text first: its words become single tokens before the generic corpus gets merges.
    ...(opts.extraTexts && opts.extraTexts.length > 0 ? { priorityTexts: opts.extraTexts } : {}),
  });
  return { tokenizerJson, tokenizerConfig: chatmlTokenizerConfig(tokenizerJson, opts.modelMaxLength ?? 32768) };
}
