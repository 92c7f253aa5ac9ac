/**
 * The model behind `longrl serve`: a `LocalPolicy` with its tokenizer, its end-of-sequence
 * ids (config, generation_config.json and tokenizer, as `longrl generate` gathers them).
 */
import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { LocalPolicy } from '../policy/local.ts';
import { loadTokenizer, type TextTokenizer } from '../tokenizer/index.ts';
import { readJsonFile } from '../util/fsx.ts';

export interface ServeModelOptions {
  /** Name clients send as `model` (default: the folder's base name). */
  name?: string;
  threads?: number;
  /** Context window (default: config `max_position_embeddings`). */
  maxModelLen?: number;
}

/** One alternative token: id and log-probability. */
export interface TokenAlt {
  id: number;
  logprob: number;
}

export class ServeModel {
  readonly policy: LocalPolicy;
  readonly tokenizer: TextTokenizer | null;
  readonly eosTokenIds: number[];
  readonly name: string;
  readonly maxModelLen: number;
  readonly vocabSize: number;

  constructor(readonly dir: string, opts: ServeModelOptions = {}) {
    this.policy = LocalPolicy.fromFolder(dir, opts.threads !== undefined ? { threads: opts.threads } : {});
    this.tokenizer = existsSync(join(dir, 'tokenizer.json')) ? loadTokenizer(dir) : null;
    const eos = new Set<number>(this.policy.config.eosTokenIds);
    for (const id of this.tokenizer?.eosTokenIds ?? []) eos.add(id);
    const gcPath = join(dir, 'generation_config.json');
    if (existsSync(gcPath)) {
      const g = readJsonFile<{ eos_token_id?: number | number[] }>(gcPath).eos_token_id;
      for (const id of Array.isArray(g) ? g : g !== undefined ? [g] : []) eos.add(id);
    }
    this.eosTokenIds = [...eos];
    this.name = opts.name ?? basename(resolve(dir));
    const cfgLen = readJsonFile<{ max_position_embeddings?: number }>(join(dir, 'config.json')).max_position_embeddings;
    this.maxModelLen = opts.maxModelLen ?? (typeof cfgLen === 'number' && cfgLen > 0 ? cfgLen : 32768);
    this.vocabSize = this.policy.config.vocabSize;
  }

  /** Text of generated ids (special tokens skipped); ids joined by spaces without a tokenizer. */
  decode(ids: readonly number[]): string {
    return this.tokenizer ? this.tokenizer.decode(ids, { skipSpecialTokens: true }) : ids.join(' ');
  }

  /** The text of one token as OpenAI's `logprobs.tokens` shows it (special tokens included). */
  tokenText(id: number): string {
    return this.tokenizer ? this.tokenizer.decode([id]) : String(id);
  }
}

/** The k largest entries of log softmax(logits · inv), descending (ties: lower id first). */
export function topK(logits: Float32Array, k: number, inv: number): TokenAlt[] {
  let m = -Infinity;
  for (let i = 0; i < logits.length; i++) m = Math.max(m, logits[i]! * inv);
  let s = 0;
  for (let i = 0; i < logits.length; i++) s += Math.exp(logits[i]! * inv - m);
  const lse = m + Math.log(s);
  const best: number[] = [];
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i]!;
    if (best.length < k) {
      best.push(i);
      best.sort((a, b) => logits[b]! - logits[a]! || a - b);
    } else if (v > logits[best[k - 1]!]!) {
      best[k - 1] = i;
      best.sort((a, b) => logits[b]! - logits[a]! || a - b);
    }
  }
  return best.map((id) => ({ id, logprob: logits[id]! * inv - lse }));
}
