/**
 * Loading a Hugging Face tokenizer folder: `tokenizer.json` through
 * @huggingface/tokenizers, the chat template from `tokenizer_config.json` (or
 * `chat_template.jinja`, where newer transformers save it) through @huggingface/jinja.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { UserError } from '../util/errors.ts';
import { readJsonFile } from '../util/fsx.ts';
import { ChatTemplate, pickChatTemplate, type ChatMessage } from './chat-template.ts';
import { QWEN_PRETOKENIZE_REGEX } from './bpe-trainer.ts';
import { FastByteLevelBpe, FastByteLevelDecoder } from './fast-bpe.ts';
import { CHAR_TO_BYTE } from './bytelevel.ts';

/** Default piece size for chunked encoding (the library slows down on very long strings). */
export const ENCODE_CHUNK_CHARS = 16384;

/**
 * Whether `encode` may cut a text after a "\n" that is followed by a non-whitespace
 * character and encode the pieces separately with identical ids. True for Qwen's split
 * regex (no pre-token contains such a "\n" followed by more text: every alternative that
 * matches "\n" ends at the newline run, and the one lookahead alternative, `\s+(?!\S)`,
 * comes after `\s*[\r\n]+`, which always wins on a run ending in "\n"), no normalizer
 * or NFC (which never composes across a newline), and added tokens without line breaks.
 */
function canChunk(tj: Record<string, unknown>): boolean {
  const norm = tj['normalizer'] as { type?: string } | null | undefined;
  if (norm && norm.type !== 'NFC') return false;
  const pre = tj['pre_tokenizer'] as { type?: string; pretokenizers?: Record<string, unknown>[] } | null | undefined;
  const list = pre?.type === 'Sequence' ? pre.pretokenizers ?? [] : [];
  if (list.length !== 2) return false;
  const [split, bl] = list as [Record<string, unknown>, Record<string, unknown>];
  const pattern = split['pattern'] as { Regex?: string } | undefined;
  if (split['type'] !== 'Split' || pattern?.Regex !== QWEN_PRETOKENIZE_REGEX || split['invert'] !== false) return false;
  if (bl['type'] !== 'ByteLevel' || bl['use_regex'] !== false || bl['add_prefix_space'] !== false) return false;
  const added = (tj['added_tokens'] as { content?: string }[] | undefined) ?? [];
  return added.every((a) => typeof a.content === 'string' && !/[\r\n]/.test(a.content));
}

const WHITE = /\p{White_Space}/u;

export interface TextTokenizer {
  /** = Hugging Face `tokenizer.encode(text, add_special_tokens=False)`. */
  encode(text: string): number[];
  decode(ids: readonly number[], opts?: { skipSpecialTokens?: boolean }): string;
  tokenToId(token: string): number | undefined;
  /** The tokenizer's own size, added tokens included (≠ embedding rows). */
  readonly vocabSize: number;
  readonly eosTokenIds: number[];
  /** Every added token (special or not: `<think>` too) → id. */
  readonly specialTokens: Map<string, number>;
  /** The chat template rendered as `apply_chat_template(messages, tokenize=False, ...)`. */
  applyChatTemplate(messages: ChatMessage[], opts?: { addGenerationPrompt?: boolean; enableThinking?: boolean }): string;
}

/** A token field of tokenizer_config.json: a string, an AddedToken object, or null. */
function tokenContent(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') {
    return (v as { content: string }).content;
  }
  return null;
}

class HfTextTokenizer implements TextTokenizer {
  readonly vocabSize: number;
  readonly eosTokenIds: number[];
  readonly specialTokens: Map<string, number>;
  private readonly template: ChatTemplate | null;
  private readonly templateVars: Record<string, string | null>;

  constructor(
    private readonly tok: Tokenizer,
    private readonly fast: FastByteLevelBpe | null,
    private readonly fastDecoder: FastByteLevelDecoder | null,
    private readonly chunkChars: number,
    config: Record<string, unknown>,
    templateText: string | null,
    private readonly templateSource: string,
    extraEos: number[],
  ) {
    this.vocabSize = tok.get_vocab(true).size;
    this.specialTokens = new Map([...tok.get_added_tokens_decoder()].map(([id, t]) => [t.content, id]));
    this.templateVars = {};
    for (const k of ['bos_token', 'eos_token', 'unk_token', 'pad_token']) this.templateVars[k] = tokenContent(config[k]);
    const eos: number[] = [];
    const eosName = this.templateVars['eos_token'];
    const eosId = eosName ? tok.token_to_id(eosName) : undefined;
    if (eosId !== undefined) eos.push(eosId);
    for (const id of extraEos) if (!eos.includes(id)) eos.push(id);
    this.eosTokenIds = eos;
    this.template = templateText === null ? null : new ChatTemplate(templateText, templateSource);
  }

  encode(text: string): number[] {
    if (text.length === 0) return [];
    if (this.fast) return this.fast.encode(text);
    if (this.chunkChars <= 0 || text.length <= this.chunkChars) return this.tok.encode(text, { add_special_tokens: false }).ids;
    const out: number[] = [];
    let start = 0;
    while (start < text.length) {
      let end = text.length;
      let i = text.indexOf('\n', start + this.chunkChars - 1);
      while (i !== -1 && i + 1 < text.length && WHITE.test(text[i + 1] as string)) i = text.indexOf('\n', i + 1);
      if (i !== -1 && i + 1 < text.length) end = i + 1;
      for (const id of this.tok.encode(text.slice(start, end), { add_special_tokens: false }).ids) out.push(id);
      start = end;
    }
    return out;
  }

  decode(ids: readonly number[], opts: { skipSpecialTokens?: boolean } = {}): string {
    if (ids.length === 0) return '';
    if (this.fastDecoder) return this.fastDecoder.decode(ids, opts.skipSpecialTokens ?? false);
    return this.tok.decode([...ids], { skip_special_tokens: opts.skipSpecialTokens ?? false });
  }

  tokenToId(token: string): number | undefined {
    return this.tok.token_to_id(token);
  }

  applyChatTemplate(messages: ChatMessage[], opts: { addGenerationPrompt?: boolean; enableThinking?: boolean } = {}): string {
    if (!this.template) throw new UserError(`${this.templateSource}: the tokenizer has no chat template (field "chat_template")`);
    return this.template.render(messages, {
      addGenerationPrompt: opts.addGenerationPrompt ?? false,
      ...(opts.enableThinking !== undefined ? { enableThinking: opts.enableThinking } : {}),
      specialTokens: this.templateVars,
    });
  }
}

/** Builds a tokenizer from in-memory `tokenizer.json` / `tokenizer_config.json` objects. */
export function tokenizerFromJson(
  tokenizerJson: object,
  tokenizerConfig: Record<string, unknown> = {},
  source = 'tokenizer.json',
  extraEos: number[] = [],
  templateSource = 'tokenizer_config.json',
  chunkChars = ENCODE_CHUNK_CHARS,
  useFast = true,
): TextTokenizer {
  // transformers now defaults clean_up_tokenization_spaces to false; the JS library to true.
  const config = { ...tokenizerConfig, clean_up_tokenization_spaces: tokenizerConfig['clean_up_tokenization_spaces'] ?? false };
  let tok: Tokenizer;
  try {
    tok = new Tokenizer(tokenizerJson, config);
  } catch (err) {
    throw new UserError(`${source}: cannot build the tokenizer: ${(err as Error).message}`);
  }
  const tpl = pickChatTemplate(tokenizerConfig['chat_template'], templateSource);
  const plainConfig = tokenizerConfig['remove_space'] !== true && tokenizerConfig['do_lowercase_and_remove_accent'] !== true;
  const fast = useFast && plainConfig ? FastByteLevelBpe.tryCreate(tokenizerJson as Record<string, unknown>, tok) : null;
  const fastDecoder = useFast ? FastByteLevelDecoder.tryCreate(tokenizerJson as Record<string, unknown>, config, CHAR_TO_BYTE) : null;
  return new HfTextTokenizer(tok, fast, fastDecoder, canChunk(tokenizerJson as Record<string, unknown>) ? chunkChars : 0, config, tpl, templateSource, extraEos);
}

/** Loads `<dir>/tokenizer.json` (+ `tokenizer_config.json`, `chat_template.jinja`, `generation_config.json` eos ids). */
export function loadTokenizer(dir: string): TextTokenizer {
  const tjPath = join(dir, 'tokenizer.json');
  if (!existsSync(tjPath)) throw new UserError(`${dir}: no tokenizer (${tjPath} is missing)`);
  const tokenizerJson = readJsonFile<object>(tjPath);
  const cfgPath = join(dir, 'tokenizer_config.json');
  const config = existsSync(cfgPath) ? readJsonFile<Record<string, unknown>>(cfgPath) : {};
  const jinjaPath = join(dir, 'chat_template.jinja');
  if (config['chat_template'] === undefined && existsSync(jinjaPath)) config['chat_template'] = readFileSync(jinjaPath, 'utf8');
  const extraEos: number[] = [];
  const genPath = join(dir, 'generation_config.json');
  if (existsSync(genPath)) {
    const e = readJsonFile<Record<string, unknown>>(genPath)['eos_token_id'];
    for (const id of Array.isArray(e) ? e : [e]) if (typeof id === 'number' && Number.isInteger(id)) extraEos.push(id);
  }
  return tokenizerFromJson(tokenizerJson, config, tjPath, extraEos, cfgPath);
}
