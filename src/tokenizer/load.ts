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
    return this.tok.encode(text, { add_special_tokens: false }).ids;
  }

  decode(ids: readonly number[], opts: { skipSpecialTokens?: boolean } = {}): string {
    if (ids.length === 0) return '';
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
  return new HfTextTokenizer(tok, config, tpl, templateSource, extraEos);
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
