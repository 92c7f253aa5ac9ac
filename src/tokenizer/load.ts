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

/**
 * Token ↔ id facts read from tokenizer.json the way @huggingface/tokenizers derives them
 * (`token_to_id`, `get_vocab(true).size`, `get_added_tokens_decoder`), so the library
 * object itself is only built when an encode or decode needs it.
 */
interface VocabInfo {
  tokenToId(token: string): number | undefined;
  vocabSize: number;
  added: Map<string, number>;
}

/**
 * For BPE models: `token_to_id` is the vocabulary with added tokens written over it;
 * `get_vocab(true).size` counts the distinct entries of the id → token array (vocabulary
 * ids, then added ids written over them; a hole counts once, as `undefined`).
 */
function vocabInfo(tj: Record<string, unknown>): VocabInfo | null {
  const model = tj['model'] as { type?: string; vocab?: unknown } | undefined;
  const vocab = model?.vocab as Record<string, number> | undefined;
  if (model?.type !== 'BPE' || !vocab || typeof vocab !== 'object' || Array.isArray(vocab)) return null;
  const addedList = (tj['added_tokens'] as { id: number; content: string }[] | undefined) ?? [];
  const addedByContent = new Map<string, number>(); // token_to_id: later added tokens win
  const contentAt = new Map<number, string>(); // id → content of the last added token with that id
  for (const t of addedList) {
    addedByContent.set(t.content, t.id);
    contentAt.set(t.id, t.content);
  }
  const added = new Map<string, number>(); // get_added_tokens_decoder order, content → id
  for (const [id, c] of contentAt) added.set(c, id);
  // The id → token array: vocabulary ids (a later key with the same id wins), then added ids.
  let keys = 0;
  let maxId = -1;
  for (const k in vocab) {
    keys++;
    if ((vocab[k] as number) > maxId) maxId = vocab[k] as number;
  }
  for (const id of contentAt.keys()) if (id > maxId) maxId = id;
  const length = Math.max(keys, maxId + 1);
  const filledArr = new Uint8Array(length);
  const keyAt = new Map<number, string>(); // last vocabulary key at the ids that matter below
  for (const k in vocab) {
    const id = vocab[k] as number;
    filledArr[id] = 1;
    if (addedByContent.has(k) || contentAt.has(id)) keyAt.set(id, k);
  }
  for (const id of contentAt.keys()) filledArr[id] = 1;
  let filled = 0;
  for (let i = 0; i < length; i++) filled += filledArr[i] as number;
  const final = (id: number): string | undefined => contentAt.get(id) ?? keyAt.get(id);
  // Vocabulary keys are distinct strings, so repeats can only involve added contents.
  let repeats = 0;
  for (const c of new Set(contentAt.values())) {
    let n = 0;
    for (const [id, cc] of contentAt) if (cc === c) n++;
    const vid = Object.prototype.hasOwnProperty.call(vocab, c) ? (vocab[c] as number) : undefined;
    if (vid !== undefined && !contentAt.has(vid) && final(vid) === c) n++;
    repeats += n - 1;
  }
  return {
    tokenToId: (t) => addedByContent.get(t) ?? (Object.prototype.hasOwnProperty.call(vocab, t) ? vocab[t] : undefined),
    vocabSize: filled - repeats + (filled < length ? 1 : 0),
    added,
  };
}

class HfTextTokenizer implements TextTokenizer {
  readonly vocabSize: number;
  readonly eosTokenIds: number[];
  readonly specialTokens: Map<string, number>;
  private readonly template: ChatTemplate | null;
  private readonly templateVars: Record<string, string | null>;
  private readonly info: VocabInfo | null;
  private libTok: Tokenizer | null;
  private fastEnc: FastByteLevelBpe | null | undefined;
  private fastDec: FastByteLevelDecoder | null | undefined;

  constructor(
    private readonly makeLib: () => Tokenizer,
    info: VocabInfo | null,
    private readonly makeFast: () => FastByteLevelBpe | null,
    private readonly makeFastDecoder: () => FastByteLevelDecoder | null,
    private readonly chunkChars: number,
    config: Record<string, unknown>,
    templateText: string | null,
    private readonly templateSource: string,
    extraEos: number[],
  ) {
    this.libTok = info ? null : makeLib();
    this.info = info;
    if (info) {
      this.vocabSize = info.vocabSize;
      this.specialTokens = new Map(info.added);
    } else {
      const tok = this.lib;
      this.vocabSize = tok.get_vocab(true).size;
      this.specialTokens = new Map([...tok.get_added_tokens_decoder()].map(([id, t]) => [t.content, id]));
    }
    this.templateVars = {};
    for (const k of ['bos_token', 'eos_token', 'unk_token', 'pad_token']) this.templateVars[k] = tokenContent(config[k]);
    const eos: number[] = [];
    const eosName = this.templateVars['eos_token'];
    const eosId = eosName ? this.tokenToId(eosName) : undefined;
    if (eosId !== undefined) eos.push(eosId);
    for (const id of extraEos) if (!eos.includes(id)) eos.push(id);
    this.eosTokenIds = eos;
    this.template = templateText === null ? null : new ChatTemplate(templateText, templateSource);
  }

  /** The @huggingface/tokenizers object, built on first use. */
  private get lib(): Tokenizer {
    this.libTok ??= this.makeLib();
    return this.libTok;
  }

  /** The fast encoder, built on first use (null: the library encodes). */
  private get fast(): FastByteLevelBpe | null {
    if (this.fastEnc === undefined) this.fastEnc = this.makeFast();
    return this.fastEnc;
  }

  private get fastDecoder(): FastByteLevelDecoder | null {
    if (this.fastDec === undefined) this.fastDec = this.makeFastDecoder();
    return this.fastDec;
  }

  encode(text: string): number[] {
    if (text.length === 0) return [];
    const fast = this.fast;
    if (fast) return fast.encode(text);
    const tok = this.lib;
    if (this.chunkChars <= 0 || text.length <= this.chunkChars) return tok.encode(text, { add_special_tokens: false }).ids;
    const out: number[] = [];
    let start = 0;
    while (start < text.length) {
      let end = text.length;
      let i = text.indexOf('\n', start + this.chunkChars - 1);
      while (i !== -1 && i + 1 < text.length && WHITE.test(text[i + 1] as string)) i = text.indexOf('\n', i + 1);
      if (i !== -1 && i + 1 < text.length) end = i + 1;
      for (const id of tok.encode(text.slice(start, end), { add_special_tokens: false }).ids) out.push(id);
      start = end;
    }
    return out;
  }

  decode(ids: readonly number[], opts: { skipSpecialTokens?: boolean } = {}): string {
    if (ids.length === 0) return '';
    const dec = this.fastDecoder;
    if (dec) return dec.decode(ids, opts.skipSpecialTokens ?? false);
    return this.lib.decode([...ids], { skip_special_tokens: opts.skipSpecialTokens ?? false });
  }

  tokenToId(token: string): number | undefined {
    return this.info ? this.info.tokenToId(token) : this.lib.token_to_id(token);
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

/**
 * Builds a tokenizer from in-memory `tokenizer.json` / `tokenizer_config.json` objects.
 * `chunkChars` and `useFast` exist for tests (library path, chunking).
 */
export function tokenizerFromJson(
  tokenizerJson: object,
  tokenizerConfig: Record<string, unknown> = {},
  source = 'tokenizer.json',
  extraEos: number[] = [],
  templateSource = 'tokenizer_config.json',
  chunkChars = ENCODE_CHUNK_CHARS,
  useFast = true,
): TextTokenizer {
  const tj = tokenizerJson as Record<string, unknown>;
  if (typeof tj !== 'object' || tj === null || typeof tj['model'] !== 'object' || tj['model'] === null) {
    throw new UserError(`${source}: not a tokenizer.json (no "model" object)`);
  }
  // transformers now defaults clean_up_tokenization_spaces to false; the JS library to true.
  const config = { ...tokenizerConfig, clean_up_tokenization_spaces: tokenizerConfig['clean_up_tokenization_spaces'] ?? false };
  const makeLib = () => {
    try {
      return new Tokenizer({ ...tj, added_tokens: tj['added_tokens'] ?? [] }, config);
    } catch (err) {
      throw new UserError(`${source}: cannot build the tokenizer: ${(err as Error).message}`);
    }
  };
  const tpl = pickChatTemplate(tokenizerConfig['chat_template'], templateSource);
  const plainConfig = tokenizerConfig['remove_space'] !== true && tokenizerConfig['do_lowercase_and_remove_accent'] !== true;
  const guarded = <T>(f: () => T): T => {
    try {
      return f();
    } catch (err) {
      throw new UserError(`${source}: cannot build the tokenizer: ${(err as Error).message}`);
    }
  };
  const makeFast = () => (useFast && plainConfig ? guarded(() => FastByteLevelBpe.tryCreate(tj)) : null);
  const makeFastDecoder = () => (useFast ? guarded(() => FastByteLevelDecoder.tryCreate(tj, config)) : null);
  // Vocabulary facts straight from the JSON for BPE models when the fast paths may serve;
  // otherwise the library object is built right away (and errors show at load).
  const info = useFast ? vocabInfo(tj) : null;
  return new HfTextTokenizer(makeLib, info, makeFast, makeFastDecoder, canChunk(tj) ? chunkChars : 0, config, tpl, templateSource, extraEos);
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
