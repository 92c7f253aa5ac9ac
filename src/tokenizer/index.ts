export { loadTokenizer, tokenizerFromJson, type TextTokenizer } from './load.ts';
export { trainByteLevelBpe, QWEN_PRETOKENIZE_REGEX, type BpeTrainOptions } from './bpe-trainer.ts';
export { CHATML_TEMPLATE, ChatTemplate, pickChatTemplate, type ChatMessage } from './chat-template.ts';
export { BYTE_TO_CHAR, CHAR_TO_BYTE, toByteLevel, byteLevelToBytes } from './bytelevel.ts';
export { builtinCorpus } from './corpus.ts';
export { buildChatTokenizer, chatmlTokenizerConfig, SPECIAL_TOKENS, THINK_TOKENS, type PresetTokenizer } from './preset-tokenizer.ts';
export { FastByteLevelBpe, FastByteLevelDecoder } from './fast-bpe.ts';
