/**
 * The serve engine loop: the computation of the engine's `generate`
 * (src/model/generate.ts) — one prefill per prompt, the n samples of a prompt decoded
 * together (a single sample appending to its prompt's cache), all rows of a wave in one
 * decode step, the same end rules for stop ids and stop strings — with two differences a
 * server needs (keep it in step with generate.ts: test/serve compares the two to 1e-9):
 * - every prompt brings its own seed and label: sample j of a prompt draws from
 *   Rng.derive(seed, "sample/label/j"), so a request batched with others gets exactly the
 *   samples it would get alone (and exactly what `LocalPolicy.sample` gives it);
 * - it yields to the event loop between steps and can report each step's tokens, so
 *   streams send chunks as tokens are decoded and the server keeps answering meanwhile.
 * Top alternatives (`logprobs`) come from each step's logits.
 */
import type { SampleParams, SampledSequence, FinishReason } from '../policy/types.ts';
import { Rng } from '../util/rng.ts';
import { KvCache } from '../model/kvcache.ts';
import { Decoder } from '../model/generate.ts';
import { TokenPicker } from '../model/sampler.ts';
import type { QwenModel } from '../model/qwen.ts';
import { topK, type TokenAlt } from './model.ts';

/** One prompt of a call. */
export interface PromptJob {
  ids: readonly number[];
  seed: number;
  /** The prompt's position in its own request (the random-stream label). */
  label: number;
  /** Top alternatives to record per token (0: none). */
  topLogprobs: number;
}

export interface StepEvent {
  /** Index of the prompt in the call. */
  prompt: number;
  /** Sample index (0..n-1). */
  sample: number;
  token: number;
  logprob: number;
  alts: TokenAlt[] | null;
  finish: FinishReason | null;
}

export interface LoopOptions {
  /** Token ids → text, for stop strings (as LocalPolicy: special tokens kept). */
  decode?: (ids: readonly number[]) => string;
  /** Most rows decoded together (default 64; whole prompts per wave, at least one). */
  maxRows?: number;
  onStep?: (events: StepEvent[]) => void;
  /** Stop early (the client is gone). */
  aborted?: () => boolean;
}

export interface LoopResult {
  seqs: SampledSequence[];
  /** Top alternatives per sample and token (null when the prompt asked for none). */
  alts: (TokenAlt[][] | null)[];
}

interface Row {
  prompt: number;
  sample: number;
  rng: Rng;
  prefix: KvCache;
  suffix: KvCache | null;
  tokens: number[];
  logprobs: number[];
  alts: TokenAlt[][] | null;
  finish: FinishReason | null;
}

const tick = () => new Promise<void>((r) => setImmediate(r));

export async function decodeLoop(model: QwenModel, prompts: readonly PromptJob[], params: Omit<SampleParams, 'seed'>, opts: LoopOptions = {}): Promise<LoopResult[]> {
  const d = model.weights.dims;
  const picker = new TokenPicker(d.vocab);
  const stopIds = new Set(params.stopTokenIds ?? []);
  const stopStrings = (params.stopStrings ?? []).filter((s) => s.length > 0);
  const tail = 8 + 4 * Math.max(0, ...stopStrings.map((s) => s.length));
  const pick = { temperature: params.temperature, topP: params.topP, topK: params.topK };
  const inv = params.temperature > 0 ? 1 / params.temperature : 1;
  const maxRows = Math.max(params.n, opts.maxRows ?? 64);
  const rowsOut: Row[] = [];

  const accept = (r: Row, token: number, logprob: number, logits: Float32Array): StepEvent => {
    r.tokens.push(token);
    r.logprobs.push(logprob);
    const k = prompts[r.prompt]!.topLogprobs;
    const alts = k > 0 ? topK(logits, k, inv) : null;
    if (alts) r.alts!.push(alts);
    if (stopIds.has(token)) r.finish = 'stop';
    else if (stopStrings.length > 0 && opts.decode) {
      const text = opts.decode(r.tokens.slice(-tail));
      if (stopStrings.some((x) => text.includes(x))) r.finish = 'stop';
    }
    if (r.finish === null && r.tokens.length >= params.maxTokens) r.finish = 'length';
    return { prompt: r.prompt, sample: r.sample, token, logprob, alts, finish: r.finish };
  };

  let decoder: Decoder | null = null;
  const perWave = Math.max(1, Math.floor(maxRows / params.n));
  for (let p0 = 0; p0 < prompts.length && !opts.aborted?.(); p0 += perWave) {
    const wave: Row[] = [];
    for (let pi = p0; pi < Math.min(prompts.length, p0 + perWave); pi++) {
      const job = prompts[pi]!;
      // As generate: a single sample appends to its prompt's cache; a group shares it and keeps own suffixes.
      const prefix = new KvCache(d.layers, d.kvDim, job.ids.length + (params.n === 1 ? params.maxTokens : 0));
      const logits = model.prefill(Int32Array.from(job.ids), prefix);
      const events: StepEvent[] = [];
      for (let j = 0; j < params.n; j++) {
        const r: Row = {
          prompt: pi, sample: j, rng: Rng.derive(job.seed, `sample/${job.label}/${j}`), prefix, suffix: null,
          tokens: [], logprobs: [], alts: job.topLogprobs > 0 ? [] : null, finish: null,
        };
        const res = picker.pick(logits, pick, r.rng);
        events.push(accept(r, res.token, res.logprob, logits));
        if (r.finish === null && params.n > 1) r.suffix = new KvCache(d.layers, d.kvDim, params.maxTokens);
        wave.push(r);
      }
      opts.onStep?.(events);
      await tick();
    }
    decoder ??= new Decoder(model, maxRows);
    for (;;) {
      if (opts.aborted?.()) break;
      const active = wave.filter((r) => r.finish === null);
      if (active.length === 0) break;
      const logits = decoder.step(active.map((r) => ({ token: r.tokens[r.tokens.length - 1]!, prefix: r.prefix, suffix: r.suffix })));
      const events = active.map((r, i) => {
        const row = logits.subarray(i * d.vocab, (i + 1) * d.vocab);
        const res = picker.pick(row, pick, r.rng);
        const ev = accept(r, res.token, res.logprob, row);
        if (r.finish !== null) r.suffix = null;
        return ev;
      });
      opts.onStep?.(events);
      await tick();
    }
    rowsOut.push(...wave);
  }
  return prompts.map((_, pi) => {
    const mine = rowsOut.filter((r) => r.prompt === pi);
    return {
      seqs: mine.map((r) => ({ tokens: r.tokens, logprobs: r.logprobs, finishReason: r.finish ?? 'length' })),
      alts: mine.map((r) => r.alts),
    };
  });
}
