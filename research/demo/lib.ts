/**
 * Shared helpers of the demo study (issue 12): a from-scratch model of chosen dims,
 * plain next-token pretraining documents with repeated facts, SFT datums, greedy
 * evaluation with the rule reward, and a small GRPO step. Research code over the
 * library API (src/), not part of the package.
 */
import { buildChatTokenizer } from '../../src/tokenizer/preset-tokenizer.ts';
import { loadTokenizer, type TextTokenizer } from '../../src/tokenizer/index.ts';
import { presetConfig, getPreset, type ModelPreset } from '../../src/model/presets.ts';
import { initModelWeights, countParameters } from '../../src/model/init.ts';
import { writeModelFolder } from '../../src/model/folder.ts';
import { LocalPolicy } from '../../src/policy/local.ts';
import type { Datum } from '../../src/policy/types.ts';
import { synthTokenizerCorpus } from '../../src/data/synth/corpus.ts';
import { entityPools, DEFAULT_POOL_SIZES, type EntityPool } from '../../src/data/synth/vocab.ts';
import { fillerSentence, kvFact } from '../../src/data/synth/text.ts';
import { synthDataset, type SynthConfig } from '../../src/data/synth/generate.ts';
import { promptMessages, completionAfterPrompt } from '../../src/data/prompt.ts';
import { goldAnswers, type DocQARecord } from '../../src/data/record.ts';
import { ruleReward } from '../../src/reward/index.ts';
import { Rng } from '../../src/util/rng.ts';

export interface Dims {
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  ffn?: number;
  vocab?: number;
  /** std of the normal init of every Linear/Embedding weight (HF initializer_range; preset 0.02). */
  initRange?: number;
  /** Qwen3 architecture (q/k RMSNorm, no q/k/v bias) instead of Qwen2. */
  qwen3?: boolean;
  /** RoPE base (preset 1e4). */
  ropeTheta?: number;
}

/** Writes a fresh model folder of the given dims (preset tokenizer + synth vocabulary). */
export function makeModel(dir: string, dims: Dims, seed: number): { params: number } {
  const base = getPreset('demo');
  const p: ModelPreset = {
    ...base,
    hiddenSize: dims.hidden,
    intermediateSize: dims.ffn ?? Math.round((dims.hidden * 11) / 4 / 16) * 16,
    numLayers: dims.layers,
    numHeads: dims.heads,
    numKvHeads: dims.kvHeads,
    headDim: dims.hidden / dims.heads,
    vocabSize: dims.vocab ?? base.vocabSize,
    ...(dims.qwen3 ? { modelType: 'qwen3' as const } : {}),
    ...(dims.ropeTheta ? { ropeTheta: dims.ropeTheta } : {}),
  };
  const { tokenizerJson, tokenizerConfig } = buildChatTokenizer({
    vocabSize: p.vocabSize, modelMaxLength: p.maxPositionEmbeddings, extraTexts: synthTokenizerCorpus(),
  });
  const added = tokenizerJson['added_tokens'] as { id: number; content: string }[];
  const idOf = (s: string) => added.find((a) => a.content === s)!.id;
  const eot = idOf('<|endoftext|>');
  const imEnd = idOf('<|im_end|>');
  const config = presetConfig(p, { bosTokenId: eot, eosTokenIds: [imEnd] });
  if (dims.initRange !== undefined) (config.raw as Record<string, unknown>)['initializer_range'] = dims.initRange;
  const weights = initModelWeights(config, seed);
  writeModelFolder(dir, {
    config, weights, tokenizerJson, tokenizerConfig, dtype: 'F32',
    generationConfig: { bos_token_id: eot, eos_token_id: [imEnd, eot], pad_token_id: eot },
  });
  return { params: countParameters(weights) };
}

export interface Ctx {
  tok: TextTokenizer;
  counter: { encode: (t: string) => number[]; renderChat: (m: { role: string; content: string }[]) => string };
  eos: number;
  bos: number;
}

export function makeCtx(dir: string): Ctx {
  const tok = loadTokenizer(dir);
  return {
    tok,
    counter: {
      encode: (t) => tok.encode(t),
      renderChat: (m) => tok.applyChatTemplate(m as never, { addGenerationPrompt: true }),
    },
    eos: tok.eosTokenIds[0]!,
    bos: tok.specialTokens.get('<|endoftext|>')!,
  };
}

// ---------------------------------------------------------------- pretraining documents

export interface PretrainDocOptions {
  /** Target tokens per document (approximate; cut to exactly this). */
  tokens: number;
  /** Distinct facts per document. */
  facts: number;
  /** Each fact appears this many times (drawn from [repMin, repMax]). */
  repMin: number;
  repMax: number;
  /** Probability that a fact's value is the key of another fact in the doc (chain links). */
  chainProb: number;
  /** Chance that the next slot is a fact rather than a filler sentence (default 0.5). */
  factProb?: number;
  /** Chance of a fact table stated twice in the same order, without filler. */
  copyProb?: number;
  /**
   * Chance that the document is instead a passage of facts, a few filler sentences, then
   * the same facts again in the same order: every repeated token is predictable by an
   * induction head (dense signal, a content match since the gap varies).
   */
  orderedProb?: number;
}

/**
 * One plain next-token document: filler sentences with `facts` key-value facts, each
 * repeated 2-3 times at random places (so predicting the value at a repeat needs an
 * induction head: find the earlier `K`, copy what followed it). No question, no
 * answer format, no trace. Entities from the pretrain pool (both splits' entities).
 */
export function pretrainDoc(rng: Rng, ctx: Ctx, pool: EntityPool, o: PretrainDocOptions): number[] {
  const keys = rng.shuffle([...pool.keys]).slice(0, o.facts);
  const vals: string[] = [];
  for (let i = 0; i < keys.length; i++) {
    // A chain link: the value is another fact's key (as in the chain task: `a b.` `b c.`).
    if (i > 0 && rng.float() < o.chainProb) vals.push(keys[rng.int(i)]!);
    else vals.push(rng.pick(pool.values));
  }
  if (rng.float() < (o.copyProb ?? 0)) {
    // A fact table stated twice in the same order, no filler: gap-copy-like, the densest
    // induction signal (every token of the restatement after its first key is predictable).
    const facts = keys.map((k, i) => kvFact(k, vals[i]!, 'compact'));
    const pad = Array.from({ length: rng.int(3) }, () => rng.pick(['so', 'then', 'again', 'also']));
    return [ctx.bos, ...ctx.tok.encode(' ' + [...facts, ...pad, ...facts, ...facts].join(' '))].slice(0, o.tokens + 1);
  }
  if (rng.float() < (o.orderedProb ?? 0)) {
    const facts = keys.map((k, i) => kvFact(k, vals[i]!, 'compact'));
    const gap = () => Array.from({ length: 1 + rng.int(4) }, () => `${fillerSentence(rng).join(' ')}.`);
    const text = [...gap(), ...facts, ...gap(), ...facts, ...gap()].join(' ');
    return [ctx.bos, ...ctx.tok.encode(' ' + text)].slice(0, o.tokens + 1);
  }
  const items: string[] = [];
  for (let i = 0; i < keys.length; i++) {
    const reps = o.repMin + rng.int(o.repMax - o.repMin + 1);
    for (let r = 0; r < reps; r++) items.push(kvFact(keys[i]!, vals[i]!, 'compact'));
  }
  rng.shuffle(items);
  const parts: string[] = [];
  let budget = o.tokens * 1.1;
  let est = 0;
  let k = 0;
  while (est < budget) {
    if (k < items.length && rng.float() < (o.factProb ?? 0.5)) {
      parts.push(items[k++]!);
      est += 3;
    } else {
      const s = fillerSentence(rng);
      parts.push(`${s.join(' ')}.`);
      est += s.length + 1;
    }
    if (k >= items.length && est > o.tokens) break;
  }
  const ids = [ctx.bos, ...ctx.tok.encode(' ' + parts.join(' '))];
  return ids.slice(0, o.tokens + 1);
}

/** A query document with the positions a lookup needs (see `queryDoc`). */
export interface QueryDoc {
  ids: number[];
  /** Per query still inside the document: the query key's position, and where its fact stated the key and the value. */
  queries: { at: number; key: number; value: number }[];
}

/**
 * A multi-query associative-recall document of `tokens` tokens (research/demo/order-probe.ts
 * trains on these, attn-inspect.py reads them): `facts` facts at random slots among filler
 * sentences (none with `filler` false), then every fact again as a query `k v.` in a new
 * order. `valueFirst` states the context facts as `v k.`.
 */
export function queryDoc(r: Rng, ctx: Ctx, pool: EntityPool, o: { tokens: number; facts: number; valueFirst?: boolean; filler?: boolean }): QueryDoc {
  const N = o.facts;
  const enc = (t: string) => ctx.tok.encode(t);
  const keys = r.shuffle([...pool.keys]).slice(0, N);
  const vals = keys.map(() => r.pick(pool.values));
  const order = r.shuffle(keys.map((_, i) => i));
  // Filler sentences until the facts (3 tokens each, twice) and some slack fit, then the
  // facts scattered over the sentence slots.
  const fill: number[][] = [];
  for (let used = 1; o.filler !== false && used < o.tokens - 8 * N;) {
    const s = enc(' ' + fillerSentence(r).join(' ') + '.');
    fill.push(s);
    used += s.length;
  }
  const slots = new Set<number>();
  while (slots.size < N) slots.add(r.int(fill.length + N));
  const ids = [ctx.bos];
  const stated: { key: number; value: number }[] = [];
  for (let i = 0, f = 0, j = 0; i < fill.length + N; i++) {
    if (!slots.has(i)) { ids.push(...fill[f++]!); continue; }
    stated.push(o.valueFirst ? { key: ids.length + 1, value: ids.length } : { key: ids.length, value: ids.length + 1 });
    ids.push(...enc(o.valueFirst ? ` ${vals[j]} ${keys[j]}.` : ` ${keys[j]} ${vals[j]}.`));
    j++;
  }
  const queries = order.map((j) => {
    const q = { at: ids.length, ...stated[j]! };
    ids.push(...enc(` ${keys[j]} ${vals[j]}.`));
    return q;
  });
  const end = Math.min(ids.length, o.tokens + 1);
  return { ids: ids.slice(0, end), queries: queries.filter((q) => q.at + 1 < end) };
}

/** Full-sequence next-token datum. */
export function lmDatum(ids: readonly number[]): Datum {
  const T = ids.length - 1;
  return {
    inputTokens_T: Int32Array.from(ids.slice(0, T)),
    targetTokens_T: Int32Array.from(ids.slice(1)),
    mask_T: new Float32Array(T).fill(1),
  };
}

// ---------------------------------------------------------------- task records

export interface Encoded {
  rec: DocQARecord;
  prompt: number[];
  completion: number[];
}

export function encodeRecord(ctx: Ctx, r: DocQARecord): Encoded {
  const text = ctx.counter.renderChat(promptMessages(r));
  const prompt = ctx.tok.encode(text);
  const completion = [...ctx.tok.encode(completionAfterPrompt(text, r.trace ?? '')), ctx.eos];
  return { rec: r, prompt, completion };
}

/** Prompt + response datum, loss on the response only (policy token convention). */
export function sftDatum(e: { prompt: readonly number[]; completion: readonly number[] }): Datum {
  const all = [...e.prompt, ...e.completion];
  const T = all.length - 1;
  const mask = new Float32Array(T);
  for (let t = e.prompt.length - 1; t < T; t++) mask[t] = 1;
  return { inputTokens_T: Int32Array.from(all.slice(0, T)), targetTokens_T: Int32Array.from(all.slice(1)), mask_T: mask };
}

export function synth(ctx: Ctx, cfg: SynthConfig): { train: DocQARecord[]; test: DocQARecord[] } {
  const d = synthDataset(cfg, ctx.counter);
  return { train: d.train, test: d.test };
}

export function score(r: DocQARecord, response: string): number {
  return ruleReward({ dataSource: r.data_source, response, groundTruth: goldAnswers(r) }).score;
}

/** Greedy accuracy (rule reward) over records; returns percent and a per-task breakdown. */
export async function evalGreedy(
  policy: LocalPolicy, ctx: Ctx, recs: readonly DocQARecord[], maxTokens = 40,
): Promise<{ acc: number; byTask: Record<string, number>; secs: number; inDoc: number }> {
  const t0 = performance.now();
  const prompts = recs.map((r) => encodeRecord(ctx, r).prompt);
  const out = await policy.sample(prompts, { n: 1, temperature: 0, topP: 1, topK: -1, maxTokens, stopTokenIds: [ctx.eos], seed: 1 });
  let ok = 0;
  let inDoc = 0;
  const per: Record<string, [number, number]> = {};
  out.forEach((g, i) => {
    const r = recs[i]!;
    const text = ctx.tok.decode(g[0]!.tokens.filter((t) => t !== ctx.eos));
    const s = score(r, text);
    ok += s;
    const m = /the answer is (\w+)/.exec(text);
    if (m && r.document.includes(` ${m[1]}.`)) inDoc++;
    const k = r.task ?? r.data_source;
    const c = (per[k] ??= [0, 0]);
    c[0] += s;
    c[1]++;
  });
  const byTask: Record<string, number> = {};
  for (const [k, [a, n]] of Object.entries(per)) byTask[k] = Math.round((1000 * a) / n) / 10;
  return { acc: Math.round((1000 * ok) / recs.length) / 10, byTask, secs: (performance.now() - t0) / 1000, inDoc: Math.round((1000 * inDoc) / recs.length) / 10 };
}

export const ADAM = { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0, gradClipNorm: 1 };

export function pools(): ReturnType<typeof entityPools> {
  return entityPools(DEFAULT_POOL_SIZES);
}

export function log(...a: unknown[]): void {
  const t = new Date().toISOString().slice(11, 19);
  console.log(t, ...a);
}

export { Rng, LocalPolicy };
