/**
 * Token-by-token generation for `stream: true`: the same computation as the engine's
 * `generate` (src/model/generate.ts) for one prompt — one prefill, the n samples decoded
 * together, sample j of prompt i drawing from Rng.derive(seed, "sample/i/j"), the same end rules for
 * stop ids and stop strings — so a streamed request returns exactly the tokens of the
 * same request unstreamed; but it hands each step's tokens to a callback and yields to
 * the event loop between steps, so chunks leave as they are decoded and other requests
 * keep being served. Top alternatives come from each step's logits (no replay).
 */
import type { SampleParams, SampledSequence, FinishReason } from '../policy/types.ts';
import { Rng } from '../util/rng.ts';
import { KvCache } from '../model/kvcache.ts';
import { Decoder } from '../model/generate.ts';
import { TokenPicker } from '../model/sampler.ts';
import type { QwenModel } from '../model/qwen.ts';
import { topK, type TokenAlt } from './model.ts';

export interface StepEvent {
  /** Sample index (0..n-1). */
  sample: number;
  token: number;
  logprob: number;
  alts: TokenAlt[] | null;
  finish: FinishReason | null;
}

export interface StreamOptions {
  decode?: (ids: readonly number[]) => string;
  /** Top alternatives per token (0: none). */
  topLogprobs: number;
  onStep: (events: StepEvent[]) => void;
  /** Stop early (client gone). */
  aborted?: () => boolean;
}

export async function streamGenerate(model: QwenModel, prompt: readonly number[], promptIndex: number, params: SampleParams, opts: StreamOptions): Promise<SampledSequence[]> {
  const d = model.weights.dims;
  const picker = new TokenPicker(d.vocab);
  const stopIds = new Set(params.stopTokenIds ?? []);
  const stopStrings = (params.stopStrings ?? []).filter((s) => s.length > 0);
  const tail = 8 + 4 * Math.max(0, ...stopStrings.map((s) => s.length));
  const pick = { temperature: params.temperature, topP: params.topP, topK: params.topK };
  const inv = params.temperature > 0 ? 1 / params.temperature : 1;
  const streams = Array.from({ length: params.n }, (_, j) => ({
    rng: Rng.derive(params.seed, `sample/${promptIndex}/${j}`), tokens: [] as number[], logprobs: [] as number[], finish: null as FinishReason | null, suffix: null as KvCache | null,
  }));
  const accept = (j: number, token: number, logprob: number, logits: Float32Array): StepEvent => {
    const s = streams[j]!;
    s.tokens.push(token);
    s.logprobs.push(logprob);
    if (stopIds.has(token)) s.finish = 'stop';
    else if (stopStrings.length > 0 && opts.decode) {
      const text = opts.decode(s.tokens.slice(-tail));
      if (stopStrings.some((x) => text.includes(x))) s.finish = 'stop';
    }
    if (s.finish === null && s.tokens.length >= params.maxTokens) s.finish = 'length';
    return { sample: j, token, logprob, alts: opts.topLogprobs > 0 ? topK(logits, opts.topLogprobs, inv) : null, finish: s.finish };
  };
  const prefix = new KvCache(d.layers, d.kvDim, prompt.length);
  const first = model.prefill(Int32Array.from(prompt), prefix);
  const events: StepEvent[] = [];
  streams.forEach((s, j) => {
    const r = picker.pick(first, pick, s.rng);
    events.push(accept(j, r.token, r.logprob, first));
    if (s.finish === null) s.suffix = new KvCache(d.layers, d.kvDim, params.maxTokens);
  });
  opts.onStep(events);
  const decoder = new Decoder(model, Math.max(params.n, 1));
  for (;;) {
    await new Promise((r) => setImmediate(r));
    if (opts.aborted?.()) break;
    const active = streams.map((s, j) => ({ s, j })).filter(({ s }) => s.finish === null);
    if (active.length === 0) break;
    const logits = decoder.step(active.map(({ s }) => ({ token: s.tokens[s.tokens.length - 1]!, prefix, suffix: s.suffix! })));
    const step = active.map(({ s, j }, r) => {
      const row = logits.subarray(r * d.vocab, (r + 1) * d.vocab);
      const res = picker.pick(row, pick, s.rng);
      const ev = accept(j, res.token, res.logprob, row);
      if (s.finish !== null) s.suffix = null;
      return ev;
    });
    opts.onStep(step);
  }
  return streams.map((s) => ({ tokens: s.tokens, logprobs: s.logprobs, finishReason: s.finish ?? 'length' }));
}
