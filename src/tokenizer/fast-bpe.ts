/**
 * A fast encoder for byte-level BPE `tokenizer.json`s of the GPT-2 / Qwen family
 * (Split regex + ByteLevel pre-tokenizer, no or NFC normalizer, plain added tokens),
 * giving the same ids as @huggingface/tokenizers' `encode(text, {add_special_tokens: false})`
 * several times faster: ids instead of strings throughout, a per-word cache, no
 * intermediate token arrays. It takes the pre-tokenizer's compiled RegExp from the library
 * itself, so words are split exactly as the library splits them.
 *
 * BPE (Sennrich et al. 2016; GPT-2's `bpe`): a word starts as its UTF-8 bytes; repeatedly
 * the adjacent pair with the lowest merge rank is merged, at every non-overlapping
 * occurrence from the left, until no pair has a rank.
 */
import { Tokenizer } from '@huggingface/tokenizers';
import { BYTE_TO_CHAR, CHAR_TO_BYTE } from './bytelevel.ts';

const KEY = 2 ** 21;

/** Byte-level character code → byte (-1 where the code is not a byte-level character). */
const CHAR_CODE_TO_BYTE = (() => {
  const t = new Int16Array(324).fill(-1);
  for (const [c, b] of CHAR_TO_BYTE) t[c.charCodeAt(0)] = b;
  return t;
})();
const MAX_CACHE = 200_000;

interface AddedTokenJson {
  id: number;
  content: string;
  single_word?: boolean;
  lstrip?: boolean;
  rstrip?: boolean;
  normalized?: boolean;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export class FastByteLevelBpe {
  private readonly byteId = new Int32Array(256);
  /** (left id, right id) → rank * KEY + merged id. */
  private readonly merges = new Map<number, number>();
  private readonly cache = new Map<string, number[]>();
  private readonly added: Map<string, number>;
  private readonly addedRe: RegExp | null;
  private readonly encoder = new TextEncoder();

  private constructor(
    vocab: Record<string, number>,
    mergeList: (string | string[])[],
    added: AddedTokenJson[],
    private readonly splitRe: RegExp,
    private readonly nfc: boolean,
  ) {
    for (let b = 0; b < 256; b++) this.byteId[b] = vocab[BYTE_TO_CHAR[b] as string] as number;
    mergeList.forEach((m, rank) => {
      const [a, b] = Array.isArray(m) ? m : (m.split(' ', 2) as [string, string]);
      const ia = vocab[a as string];
      const ib = vocab[b as string];
      const im = vocab[(a as string) + (b as string)];
      if (ia === undefined || ib === undefined || im === undefined) return; // the library skips them too (no token)
      const key = ia * KEY + ib;
      if (!this.merges.has(key)) this.merges.set(key, rank * KEY + im);
    });
    this.added = new Map(added.map((t) => [t.content, t.id]));
    const contents = [...this.added.keys()].sort((x, y) => y.length - x.length);
    this.addedRe = contents.length > 0 ? new RegExp(contents.map(escapeRegExp).join('|'), 'g') : null;
  }

  /**
   * The fast encoder for `json`, or null when the tokenizer has a feature it does not
   * reproduce (then the library encodes).
   */
  static tryCreate(json: Record<string, unknown>): FastByteLevelBpe | null {
    const model = json['model'] as Record<string, unknown> | undefined;
    if (!model || model['type'] !== 'BPE') return null;
    if (model['ignore_merges'] === true || model['byte_fallback'] === true || (model['dropout'] ?? null) !== null) return null;
    if (model['continuing_subword_prefix'] || model['end_of_word_suffix']) return null;
    const vocab = model['vocab'] as Record<string, number> | undefined;
    const merges = model['merges'] as (string | string[])[] | undefined;
    if (!vocab || !Array.isArray(merges)) return null;
    if (BYTE_TO_CHAR.some((c) => vocab[c] === undefined)) return null;
    const norm = json['normalizer'] as { type?: string } | null | undefined;
    if (norm && norm.type !== 'NFC') return null;
    const pre = json['pre_tokenizer'] as { type?: string; pretokenizers?: Record<string, unknown>[] } | null | undefined;
    const list = pre?.type === 'Sequence' ? pre.pretokenizers ?? [] : [];
    if (list.length !== 2) return null;
    const [split, bl] = list as [Record<string, unknown>, Record<string, unknown>];
    const pattern = split['pattern'] as { Regex?: string } | undefined;
    if (split['type'] !== 'Split' || typeof pattern?.Regex !== 'string' || split['invert'] !== false) return null;
    if (String(split['behavior']).toLowerCase() !== 'isolated') return null;
    if (bl['type'] !== 'ByteLevel' || bl['use_regex'] !== false || bl['add_prefix_space'] === true) return null;
    const added = (json['added_tokens'] as (AddedTokenJson & { special?: boolean })[] | undefined) ?? [];
    // The library normalizes an added token's text (and splits after normalizing) when
    // `normalized` (default: not special) and there is a normalizer; that path is not reproduced.
    const normalizedAdded = (t: AddedTokenJson & { special?: boolean }) => norm != null && (t.normalized ?? !t.special);
    if (added.some((t) => t.lstrip || t.rstrip || t.single_word || normalizedAdded(t) || t.content.length === 0)) return null;
    // The library's own compiled split pattern (it rewrites Oniguruma syntax for JavaScript),
    // from a library tokenizer with this pre-tokenizer and an empty model (cheap to build).
    const mini = new Tokenizer({ added_tokens: [], normalizer: null, pre_tokenizer: pre, post_processor: null, decoder: null,
      model: { type: 'BPE', vocab: {}, merges: [] } }, {});
    const libSplit = (mini.pre_tokenizer as unknown as { tokenizers?: { pattern?: unknown }[] } | null)?.tokenizers?.[0]?.pattern;
    if (!(libSplit instanceof RegExp) || !libSplit.global) return null;
    return new FastByteLevelBpe(vocab, merges, added, new RegExp(libSplit.source, libSplit.flags), norm?.type === 'NFC');
  }

  encode(text: string): number[] {
    const out: number[] = [];
    if (!this.addedRe) {
      this.encodeSection(text, out);
      return out;
    }
    this.addedRe.lastIndex = 0;
    let prev = 0;
    for (let m = this.addedRe.exec(text); m !== null; m = this.addedRe.exec(text)) {
      if (m.index > prev) this.encodeSection(text.slice(prev, m.index), out);
      out.push(this.added.get(m[0]) as number);
      prev = m.index + m[0].length;
    }
    if (prev < text.length) this.encodeSection(text.slice(prev), out);
    return out;
  }

  private encodeSection(section: string, out: number[]): void {
    const text = this.nfc ? section.normalize('NFC') : section;
    const re = this.splitRe;
    re.lastIndex = 0;
    let prev = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      const w = m[0];
      if (w.length === 0) {
        re.lastIndex++; // an empty match produces no token (library: skipped)
        continue;
      }
      if (m.index > prev) this.encodeWord(text.slice(prev, m.index), out);
      this.encodeWord(w, out);
      prev = m.index + w.length;
    }
    if (prev < text.length) this.encodeWord(text.slice(prev), out);
  }

  private encodeWord(word: string, out: number[]): void {
    let ids = this.cache.get(word);
    if (ids === undefined) {
      ids = this.bpe(word);
      if (this.cache.size >= MAX_CACHE) this.cache.clear();
      this.cache.set(word, ids);
    }
    for (const id of ids) out.push(id);
  }

  private bpe(word: string): number[] {
    const bytes = this.encoder.encode(word);
    let syms: number[] = Array.from(bytes, (b) => this.byteId[b] as number);
    while (syms.length > 1) {
      let best = -1;
      let bestVal = Infinity;
      for (let i = 0; i + 1 < syms.length; i++) {
        const v = this.merges.get((syms[i] as number) * KEY + (syms[i + 1] as number));
        if (v !== undefined && v < bestVal) {
          bestVal = v;
          best = i;
        }
      }
      if (best < 0) break;
      const a = syms[best] as number;
      const b = syms[best + 1] as number;
      const merged = bestVal % KEY;
      const next: number[] = [];
      for (let i = 0; i < syms.length; i++) {
        if (i + 1 < syms.length && syms[i] === a && syms[i + 1] === b) {
          next.push(merged);
          i++;
        } else next.push(syms[i] as number);
      }
      syms = next;
    }
    return syms;
  }
}

/**
 * Decoding for the same tokenizers, as @huggingface/tokenizers' ByteLevel decoder does it:
 * special tokens dropped first when asked (so they do not split a byte run), runs of
 * byte-level tokens turned into bytes and decoded as UTF-8 with replacement characters,
 * added tokens inserted as their text, unknown ids dropped.
 */
export class FastByteLevelDecoder {
  /** Bytes of every vocabulary token, back to back; token id i spans [start[i], start[i] + len[i]). */
  private readonly pool: Uint8Array;
  private readonly start: Int32Array;
  private readonly len: Int32Array;
  private readonly addedText = new Map<number, string>();
  private readonly skippable = new Set<number>();
  private readonly utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

  private constructor(
    vocab: Record<string, number>,
    added: { id: number; content: string; special?: boolean }[],
    extraSpecial: string[],
  ) {
    const specialContents = new Set([...added.filter((a) => a.special).map((a) => a.content), ...extraSpecial]);
    const addedContents = new Set(added.map((a) => a.content));
    let maxId = -1;
    let total = 0;
    for (const tok in vocab) {
      if ((vocab[tok] as number) > maxId) maxId = vocab[tok] as number;
      total += tok.length;
    }
    this.pool = new Uint8Array(total);
    this.start = new Int32Array(maxId + 1);
    this.len = new Int32Array(maxId + 1);
    let pos = 0;
    for (const tok in vocab) {
      const id = vocab[tok] as number;
      this.start[id] = pos;
      this.len[id] = tok.length;
      for (let i = 0; i < tok.length; i++) this.pool[pos++] = CHAR_CODE_TO_BYTE[tok.charCodeAt(i)] as number;
      // The library decodes by token string: a vocabulary token spelled like an added token acts as one.
      if (addedContents.has(tok)) this.addedText.set(id, tok);
      if (specialContents.has(tok)) this.skippable.add(id);
    }
    for (const a of added) {
      this.addedText.set(a.id, a.content);
      if (specialContents.has(a.content)) this.skippable.add(a.id);
    }
  }

  /** The decoder for `json` (+ tokenizer_config), or null when the library must decode. */
  static tryCreate(json: Record<string, unknown>, config: Record<string, unknown>): FastByteLevelDecoder | null {
    const dec = json['decoder'] as { type?: string } | null | undefined;
    if (!dec || dec.type !== 'ByteLevel') return null;
    if (config['clean_up_tokenization_spaces'] === true) return null;
    const model = json['model'] as { type?: string; vocab?: Record<string, number>; end_of_word_suffix?: string | null } | undefined;
    if (!model || model.type !== 'BPE' || !model.vocab || model.end_of_word_suffix) return null;
    // Every vocabulary character must be a byte-level character (code points below 324).
    for (const tok of Object.keys(model.vocab)) {
      for (let i = 0; i < tok.length; i++) if (CHAR_CODE_TO_BYTE[tok.charCodeAt(i)] === undefined || (CHAR_CODE_TO_BYTE[tok.charCodeAt(i)] as number) < 0) return null;
    }
    const added = (json['added_tokens'] as { id: number; content: string; special?: boolean }[] | undefined) ?? [];
    const extra = Array.isArray(config['additional_special_tokens'])
      ? (config['additional_special_tokens'] as unknown[]).filter((x): x is string => typeof x === 'string')
      : [];
    return new FastByteLevelDecoder(model.vocab, added, extra);
  }

  decode(ids: readonly number[], skipSpecial: boolean): string {
    let out = '';
    let run = new Uint8Array(256);
    let len = 0;
    const flush = () => {
      if (len > 0) out += this.utf8.decode(run.subarray(0, len));
      len = 0;
    };
    for (const id of ids) {
      if (skipSpecial && this.skippable.has(id)) continue;
      const text = this.addedText.get(id);
      if (text !== undefined) {
        flush();
        out += text;
        continue;
      }
      if (!(Number.isInteger(id) && id >= 0 && id < this.len.length)) continue; // unknown id: no token
      const n = this.len[id] as number;
      if (n === 0) continue;
      if (len + n > run.length) {
        const next = new Uint8Array(Math.max(run.length * 2, len + n));
        next.set(run.subarray(0, len));
        run = next;
      }
      const s0 = this.start[id] as number;
      run.set(this.pool.subarray(s0, s0 + n), len);
      len += n;
    }
    flush();
    return out;
  }
}
