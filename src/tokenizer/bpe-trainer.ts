/**
 * A byte-level BPE trainer producing a Hugging Face `tokenizer.json` (GPT-2 / Qwen style)
 * that @huggingface/tokenizers loads and that GGUF can carry as tokenizer model `gpt2`.
 *
 * Sennrich et al. (2016), "Neural Machine Translation of Rare Words with Subword Units":
 * start from the 256 byte symbols, count adjacent symbol pairs over the pre-tokenized
 * words weighted by word frequency, merge the most frequent pair, repeat. Ties go to the
 * pair with the smaller (left id, right id), so training is deterministic. Merges continue
 * down to pairs seen once, so every training word becomes a single token when the
 * vocabulary size allows. No normalizer: decode(encode(x)) === x for any text.
 */
import { Tokenizer } from '@huggingface/tokenizers';
import { UserError } from '../util/errors.ts';
import { BYTE_TO_CHAR, CHAR_TO_BYTE, toByteLevel } from './bytelevel.ts';

/** Qwen2/Qwen3's pre-tokenizer split (digits one by one, words with one leading non-letter). */
export const QWEN_PRETOKENIZE_REGEX =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

export interface BpeTrainOptions {
  /** Total vocabulary: 256 bytes + merges + added tokens. */
  vocabSize: number;
  /** Added tokens with `special: true` (skipped by decode with skipSpecialTokens). */
  specialTokens: string[];
  /** Added tokens that are not special (Qwen3 marks `<think>`, `</think>` so). */
  addedTokens?: string[];
  /** Split regex of the pre-tokenizer (Oniguruma syntax as in tokenizer.json); default Qwen's. */
  pretokenizeRegex?: string;
  /**
   * Texts whose words take precedence: their words count with a weight larger than all
   * other text together, so every merge they need comes before any merge only `texts`
   * need, and they become single tokens first (task vocabulary over the generic corpus).
   */
  priorityTexts?: string[];
}

const BYTE_LEVEL = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false };

function skeleton(vocab: Record<string, number>, merges: string[], added: object[], regex: string): Record<string, unknown> {
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: regex }, behavior: 'Isolated', invert: false },
        BYTE_LEVEL,
      ],
    },
    post_processor: BYTE_LEVEL,
    decoder: BYTE_LEVEL,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Binary max-heap of [count, pairKey]: larger count first, then smaller key. */
class PairHeap {
  private counts: number[] = [];
  private keys: number[] = [];

  get size(): number {
    return this.keys.length;
  }

  private before(i: number, j: number): boolean {
    const ci = this.counts[i] as number;
    const cj = this.counts[j] as number;
    return ci > cj || (ci === cj && (this.keys[i] as number) < (this.keys[j] as number));
  }

  private swap(i: number, j: number): void {
    [this.counts[i], this.counts[j]] = [this.counts[j] as number, this.counts[i] as number];
    [this.keys[i], this.keys[j]] = [this.keys[j] as number, this.keys[i] as number];
  }

  push(count: number, key: number): void {
    this.counts.push(count);
    this.keys.push(key);
    let i = this.keys.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  pop(): [number, number] {
    const top: [number, number] = [this.counts[0] as number, this.keys[0] as number];
    const lastC = this.counts.pop() as number;
    const lastK = this.keys.pop() as number;
    if (this.keys.length > 0) {
      this.counts[0] = lastC;
      this.keys[0] = lastK;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < this.keys.length && this.before(l, m)) m = l;
        if (r < this.keys.length && this.before(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }
}

const KEY_BASE = 2 ** 21;

/**
 * Trains byte-level BPE merges on `texts` and returns the `tokenizer.json` object.
 * Ids: 0–255 the bytes (id = byte value), then merges in order, then the added tokens
 * (special first, in the order given).
 */
export function trainByteLevelBpe(texts: string[], opts: BpeTrainOptions): Record<string, unknown> {
  const regex = opts.pretokenizeRegex ?? QWEN_PRETOKENIZE_REGEX;
  const addedList = [...opts.specialTokens, ...(opts.addedTokens ?? [])];
  if (new Set(addedList).size !== addedList.length) throw new UserError('trainByteLevelBpe: added tokens must be distinct');
  const numMerges = opts.vocabSize - 256 - addedList.length;
  if (!Number.isInteger(opts.vocabSize) || numMerges < 0) {
    throw new UserError(`trainByteLevelBpe: vocabSize ${opts.vocabSize} is below 256 bytes + ${addedList.length} added tokens`);
  }
  if (opts.vocabSize >= KEY_BASE) throw new UserError(`trainByteLevelBpe: vocabSize ${opts.vocabSize} is too large`);

  const tokStr: string[] = [...BYTE_TO_CHAR];
  const baseVocab: Record<string, number> = {};
  tokStr.forEach((s, i) => (baseVocab[s] = i));
  // The library's own pre-tokenizer, so training splits text exactly as encoding will:
  // its compiled split RegExp when reachable (fast: raw words are counted, then converted
  // to byte-level once per distinct word), else the pre-tokenizer object itself.
  const libPre = new Tokenizer(skeleton(baseVocab, [], [], regex), {}).pre_tokenizer;
  if (!libPre) throw new Error('pre-tokenizer missing');
  const libRe = (libPre as unknown as { tokenizers?: { pattern?: unknown }[] }).tokenizers?.[0]?.pattern;
  const splitRe = libRe instanceof RegExp && libRe.global ? new RegExp(libRe.source, libRe.flags) : null;
  const pre = (piece: string): string[] => {
    if (!splitRe) return libPre(piece) as string[];
    const words: string[] = [];
    let prev = 0;
    splitRe.lastIndex = 0;
    for (let m = splitRe.exec(piece); m !== null; m = splitRe.exec(piece)) {
      if (m[0].length === 0) {
        splitRe.lastIndex++;
        continue;
      }
      if (m.index > prev) words.push(piece.slice(prev, m.index));
      words.push(m[0]);
      prev = m.index + m[0].length;
    }
    if (prev < piece.length) words.push(piece.slice(prev));
    return words;
  };
  const toWordKey = splitRe ? toByteLevel : (w: string) => w;

  // Word frequencies (byte-level strings), special tokens cut out first.
  const splitter = addedList.length > 0 ? new RegExp(addedList.map(escapeRegExp).join('|'), 'g') : null;
  const countWords = (list: readonly string[]): Map<string, number> => {
    const raw = new Map<string, number>();
    for (const text of list) {
      const pieces = splitter ? text.split(splitter) : [text];
      for (const piece of pieces) {
        if (piece.length === 0) continue;
        for (const w of pre(piece)) raw.set(w, (raw.get(w) ?? 0) + 1);
      }
    }
    const m = new Map<string, number>();
    for (const [w, f] of raw) {
      const k = toWordKey(w);
      m.set(k, (m.get(k) ?? 0) + f);
    }
    return m;
  };
  const freq = countWords(texts);
  if (opts.priorityTexts && opts.priorityTexts.length > 0) {
    // Any pair of `texts` counts at most (total symbols of texts) times; the weight beats that.
    let weight = 1;
    for (const [w, f] of freq) weight += w.length * f;
    for (const [w, f] of countWords(opts.priorityTexts)) freq.set(w, (freq.get(w) ?? 0) + f * weight);
  }

  const words: number[][] = [];
  const wordFreq: number[] = [];
  for (const [w, f] of freq) {
    const ids: number[] = [];
    for (const ch of w) ids.push(CHAR_TO_BYTE.get(ch) as number);
    words.push(ids);
    wordFreq.push(f);
  }

  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();
  const heap = new PairHeap();
  words.forEach((ids, wi) => {
    for (let i = 0; i + 1 < ids.length; i++) {
      const key = (ids[i] as number) * KEY_BASE + (ids[i + 1] as number);
      pairCount.set(key, (pairCount.get(key) ?? 0) + (wordFreq[wi] as number));
      let set = pairWords.get(key);
      if (!set) pairWords.set(key, (set = new Set()));
      set.add(wi);
    }
  });
  for (const [key, c] of pairCount) heap.push(c, key);

  const merges: string[] = [];
  while (merges.length < numMerges && heap.size > 0) {
    const [count, key] = heap.pop();
    if (pairCount.get(key) !== count || count <= 0) continue; // stale entry
    const a = Math.floor(key / KEY_BASE);
    const b = key % KEY_BASE;
    const c = tokStr.length;
    tokStr.push((tokStr[a] as string) + (tokStr[b] as string));
    merges.push(`${tokStr[a]} ${tokStr[b]}`);
    const delta = new Map<number, number>();
    const bump = (k: number, d: number) => delta.set(k, (delta.get(k) ?? 0) + d);
    for (const wi of pairWords.get(key) ?? []) {
      const ids = words[wi] as number[];
      const f = wordFreq[wi] as number;
      let hit = false;
      for (let i = 0; i + 1 < ids.length; i++) if (ids[i] === a && ids[i + 1] === b) hit = true;
      if (!hit) continue;
      for (let i = 0; i + 1 < ids.length; i++) bump((ids[i] as number) * KEY_BASE + (ids[i + 1] as number), -f);
      const out: number[] = [];
      for (let i = 0; i < ids.length; i++) {
        if (i + 1 < ids.length && ids[i] === a && ids[i + 1] === b) {
          out.push(c);
          i++;
        } else out.push(ids[i] as number);
      }
      words[wi] = out;
      for (let i = 0; i + 1 < out.length; i++) {
        const k = (out[i] as number) * KEY_BASE + (out[i + 1] as number);
        bump(k, f);
        let set = pairWords.get(k);
        if (!set) pairWords.set(k, (set = new Set()));
        set.add(wi);
      }
    }
    pairWords.delete(key);
    for (const [k, d] of delta) {
      if (d === 0) continue;
      const n = (pairCount.get(k) ?? 0) + d;
      if (n > 0) {
        pairCount.set(k, n);
        heap.push(n, k);
      } else pairCount.delete(k);
    }
  }

  const vocab: Record<string, number> = {};
  tokStr.forEach((s, i) => (vocab[s] = i));
  const special = new Set(opts.specialTokens);
  const added = addedList.map((content, i) => ({
    id: tokStr.length + i,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: special.has(content),
  }));
  return skeleton(vocab, merges, added, regex);
}
