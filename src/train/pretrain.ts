/**
 * The pretrain phase: plain next-token prediction on synthetic documents (no question,
 * no answer format, no traces), as a from-scratch model needs before it can learn to
 * match a key to its value (reference/demo-study.md: without it a tiny model stays on the
 * "any value in the document" shortcut). Each document is one datum, every position
 * trained. The optimizer loop is the supervised one of sft.ts.
 *
 * Two kinds of documents:
 * - `synth`: the documents of the synthetic pretrain split (`data.synth.pretrain`): filler
 *   with the task's facts, each once;
 * - `repeated`: filler with `facts` key-value facts, each repeated a few times at random
 *   places (a fact's second occurrence is predictable only by finding the first: the
 *   induction-head signal the matching task needs), optionally chain links (a value that
 *   is another fact's key, as in the 2-hop task) and "ordered" documents (facts, filler,
 *   the same facts again in order). Entities come from the pretrain pool (both splits'
 *   entities, see data/synth/vocab.ts); document i draws from `Rng.derive(seed, i)`.
 *
 * With `pretrain.copy`, a share of every step's stream is gap-copy documents instead
 * (`gapCopyText`): the signal that forms the content-matching circuit and, with a gap
 * that grows, extends it to the lengths the tasks need.
 */
import type { Datum } from '../policy/types.ts';
import type { DocQARecord } from '../data/record.ts';
import { entityPools, DEFAULT_POOL_SIZES, type EntityPool } from '../data/synth/vocab.ts';
import { fillerSentence, kvFact } from '../data/synth/text.ts';
import type { TextTokenizer } from '../tokenizer/load.ts';
import { Rng } from '../util/rng.ts';
import { documentDatum } from './sft.ts';

/** One next-token datum per record document: `endOfText`, the document's tokens, `endOfText`. */
export function pretrainDatums(tok: TextTokenizer, records: readonly DocQARecord[], endOfText: number): Datum[] {
  return records.map((r) => documentDatum([endOfText, ...tok.encode(r.document), endOfText]));
}

export interface RepeatedDocOptions {
  /** Tokens per document (the document is cut to this many, after a leading end-of-text). */
  tokens: number;
  /** Distinct facts per document. */
  facts: number;
  /** Each fact appears a number of times drawn uniformly from [repeatMin, repeatMax]. */
  repeatMin: number;
  repeatMax: number;
  /** Chance that a fact's value is the key of an earlier fact (a chain link). */
  chainProb: number;
  /** Chance that the next slot holds a fact rather than a filler sentence. */
  factProb: number;
  /** Chance that a document is an ordered passage: filler, the facts, filler, the same facts, filler. */
  orderedProb: number;
  /**
   * Chance that a document is a fact table stated twice in the same order with no filler
   * (a few linking words between): every token of the restatement after its first key is
   * predictable by copying, the densest signal for the induction circuit (demo-study §7).
   */
  copyProb?: number;
  /**
   * Chance that a document is a query passage: the facts once each among filler
   * sentences, then every fact again, densely and in a new order (the multi-query
   * associative recall layout). Each restated value is predictable only by looking its key
   * up at whatever distance it was stated, at every query: the densest single-key lookup
   * signal at the document's full length, meant for extending a base that looks up at
   * short range. From scratch at 128 tokens a model trained on these alone reached only
   * the "any value of the document" shortcut within 3,000 steps (docs/demo-study.md §10).
   */
  queryProb?: number;
}

const LINK_WORDS = ['so', 'then', 'again', 'also'] as const;

/**
 * A gap document: `half` items, up to `gapMax` filler words, the items again.
 * `copy`: the items are entities and come back in the same order; `lookup`: the items are
 * compact facts (`k v.`) and come back in a new order.
 */
export interface GapCopyOptions {
  half: number;
  gapMax: number;
  kind?: 'copy' | 'lookup';
}

/**
 * The text of gap document `index` (pure in seed and index); the gap length is drawn
 * uniformly from 0..gapMax, so no fixed offset predicts the second half.
 *
 * - `copy`: `half` entities drawn from the pool's keys and values, the gap, the same
 *   entities in the same order. Every entity of the second half after the first is
 *   predictable by finding its predecessor's earlier occurrence and copying what followed:
 *   the densest content-matching signal. Grown in small steps, the gap extends this circuit
 *   to any trained distance, but what forms is sequence continuation, not the lookup of one
 *   key that the tasks need (docs/demo-study.md §9).
 * - `lookup`: `half` facts with distinct keys, the gap, the same facts shuffled: each value
 *   of the second half is predictable only by looking its key up on its own. From a base
 *   that already looks up at ~32 tokens, a slowly growing gap beside growing fact documents
 *   extended the lookup (p(value | repeated key) at 128 tokens 0.09 -> 0.25; §9).
 */
export function gapCopyText(seed: number, index: number, o: GapCopyOptions, pool: EntityPool): string {
  const rng = Rng.derive(seed, `gap-copy|${index}`);
  const gapWords = rng.int(o.gapMax + 1);
  const gap: string[] = [];
  while (gap.length < gapWords) gap.push(...fillerSentence(rng));
  const filler = gap.slice(0, gapWords);
  if (o.kind === 'lookup') {
    const facts = rng.shuffle([...pool.keys]).slice(0, o.half).map((k) => kvFact(k, rng.pick(pool.values), 'compact'));
    return [...facts, ...filler, ...rng.shuffle(facts.slice())].join(' ');
  }
  const entities = [...pool.keys, ...pool.values];
  const copied = Array.from({ length: o.half }, () => rng.pick(entities));
  return [...copied, ...filler, ...copied].join(' ');
}

/** Gap-copy document `index` as a next-token datum (a leading end-of-text, no cut: its length is 2·half + gap words). */
export function gapCopyDatum(tok: TextTokenizer, seed: number, index: number, o: GapCopyOptions, endOfText: number, pool: EntityPool = pretrainPool()): Datum {
  return documentDatum([endOfText, ...tok.encode(` ${gapCopyText(seed, index, o, pool)}`)]);
}

/** The text of repeated-facts document `index` (pure in seed and index). */
export function repeatedFactsText(seed: number, index: number, o: RepeatedDocOptions, pool: EntityPool): string {
  const rng = Rng.derive(seed, `pretrain-doc|${index}`);
  const keys = rng.shuffle([...pool.keys]).slice(0, o.facts);
  const values = keys.map((_, i) => (i > 0 && rng.float() < o.chainProb ? (keys[rng.int(i)] as string) : rng.pick(pool.values)));
  const facts = keys.map((k, i) => kvFact(k, values[i] as string, 'compact'));
  const filler = () => `${fillerSentence(rng).join(' ')}.`;
  if ((o.copyProb ?? 0) > 0 && rng.float() < (o.copyProb as number)) {
    const link = Array.from({ length: rng.int(3) }, () => rng.pick(LINK_WORDS));
    return [...facts, ...link, ...facts, ...facts].join(' ');
  }
  if ((o.queryProb ?? 0) > 0 && rng.float() < (o.queryProb as number)) return queryPassage(rng, facts, o.tokens, filler);
  if (rng.float() < o.orderedProb) {
    const gap = () => Array.from({ length: 1 + rng.int(4) }, filler);
    return [...gap(), ...facts, ...gap(), ...facts, ...gap()].join(' ');
  }
  const items: string[] = [];
  facts.forEach((f) => {
    const reps = o.repeatMin + rng.int(o.repeatMax - o.repeatMin + 1);
    for (let r = 0; r < reps; r++) items.push(f);
  });
  rng.shuffle(items);
  // Roughly one token per word and three per fact: overshoot, the datum is cut to size.
  const parts: string[] = [];
  let words = 0;
  let k = 0;
  while (k < items.length || words < o.tokens * 1.1) {
    if (k < items.length && rng.float() < o.factProb) {
      parts.push(items[k++] as string);
      words += 3;
    } else {
      const s = filler();
      parts.push(s);
      words += s.split(' ').length + 1;
    }
    if (words > o.tokens * 4) break;
  }
  return parts.join(' ');
}

/**
 * Facts scattered among filler sentences, then the facts again in a new order, sized so
 * the queries fit in `tokens` (about one token per word and three per fact, as the
 * synthetic vocabulary tokenises).
 */
function queryPassage(rng: Rng, facts: readonly string[], tokens: number, filler: () => string): string {
  const contextWords = Math.max(0, tokens - 3 * facts.length * 2 - 2);
  const sentences: string[] = [];
  for (let words = 0; ;) {
    const s = filler();
    words += s.split(' ').length + 1;
    if (words > contextWords) break;
    sentences.push(s);
  }
  // Each fact goes into one of the sentences + facts slots, uniformly.
  const slots = rng.shuffle(Array.from({ length: sentences.length + facts.length }, (_, i) => i)).slice(0, facts.length).sort((a, b) => a - b);
  const context: string[] = [];
  for (let i = 0, f = 0, s = 0; i < sentences.length + facts.length; i++) context.push(slots[f] === i ? (facts[f++] as string) : (sentences[s++] as string));
  return [...context, ...rng.shuffle(facts.slice())].join(' ');
}

/** Repeated-facts document `index` as a next-token datum of at most `tokens` positions. */
export function repeatedFactsDatum(tok: TextTokenizer, seed: number, index: number, o: RepeatedDocOptions, endOfText: number, pool: EntityPool = pretrainPool()): Datum {
  return documentDatum([endOfText, ...tok.encode(` ${repeatedFactsText(seed, index, o, pool)}`)].slice(0, o.tokens + 1));
}

/** `count` repeated-facts documents (indices 0..count-1) as next-token datums. */
export function repeatedFactsDatums(tok: TextTokenizer, seed: number, count: number, o: RepeatedDocOptions, endOfText: number): Datum[] {
  return Array.from({ length: count }, (_, i) => repeatedFactsDatum(tok, seed, i, o, endOfText));
}

let pretrainPoolCache: EntityPool | null = null;

/**
 * The pretrain entity pool (both splits' entities), built once: it is the default of every
 * streamed document, and building it costs ~0.8 ms (25 ms a step at 32 documents).
 */
function pretrainPool(): EntityPool {
  pretrainPoolCache ??= entityPools(DEFAULT_POOL_SIZES).pretrain;
  return pretrainPoolCache;
}

/** Index of the stage in effect at `step`: the last whose fromStep is at most step (stages start at 0, in order). */
export function stageIndexAt(stages: readonly { fromStep: number }[], step: number): number {
  let k = 0;
  while (k + 1 < stages.length && step >= stages[k + 1]!.fromStep) k++;
  return k;
}
