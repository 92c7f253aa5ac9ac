/**
 * OpenAI response shapes built from sampled sequences: completions and chat
 * completions (whole; the SSE chunks are in sse.ts), with per-token logprobs and vLLM's
 * `return_token_ids` extra (`token_ids`, `prompt_token_ids` on each choice).
 */
import type { SampledSequence } from '../policy/types.ts';
import type { ServeModel, TokenAlt } from './model.ts';

/** One generated choice, ready to format. */
export interface Choice {
  index: number;
  prompt: number[];
  seq: SampledSequence;
  text: string;
  finishReason: 'stop' | 'length';
  /** Top alternatives per token (empty lists when only the chosen token's logprob is asked). */
  alts: TokenAlt[][] | null;
}

/**
 * Text of a sample with the first stop string and everything after it cut (the OpenAI
 * API does not return the stop sequence); `stopped` tells whether a stop string hit.
 */
export function cutAtStop(text: string, stop: readonly string[]): { text: string; stopped: boolean } {
  let at = -1;
  for (const s of stop) {
    const i = text.indexOf(s);
    if (i >= 0 && (at < 0 || i < at)) at = i;
  }
  return at < 0 ? { text, stopped: false } : { text: text.slice(0, at), stopped: true };
}

export function completionLogprobs(model: ServeModel, c: Choice) {
  const tokens = c.seq.tokens.map((id) => model.tokenText(id));
  const offsets: number[] = [];
  let off = 0;
  for (const t of tokens) { offsets.push(off); off += t.length; }
  return {
    tokens,
    token_logprobs: c.seq.logprobs,
    top_logprobs: c.alts ? c.alts.map((a) => Object.fromEntries(a.map((x) => [model.tokenText(x.id), x.logprob]))) : null,
    text_offset: offsets,
  };
}

export function chatLogprobs(model: ServeModel, c: Choice) {
  const entry = (id: number, logprob: number) => {
    const token = model.tokenText(id);
    return { token, logprob, bytes: [...Buffer.from(token, 'utf8')] };
  };
  return {
    content: c.seq.tokens.map((id, t) => ({
      ...entry(id, c.seq.logprobs[t]!),
      top_logprobs: (c.alts?.[t] ?? []).map((a) => entry(a.id, a.logprob)),
    })),
  };
}

function ids(c: Choice, on: boolean) {
  return on ? { token_ids: c.seq.tokens, prompt_token_ids: c.prompt } : {};
}

export interface Meta {
  id: string;
  created: number;
  model: string;
  logprobs: boolean;
  returnTokenIds: boolean;
}

export function usage(choices: readonly Choice[]) {
  const prompts = new Set<number[]>();
  let completion = 0;
  for (const c of choices) { prompts.add(c.prompt); completion += c.seq.tokens.length; }
  let prompt = 0;
  for (const p of prompts) prompt += p.length;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

export function completionResponse(model: ServeModel, m: Meta, choices: readonly Choice[], echo: (c: Choice) => string) {
  return {
    id: m.id, object: 'text_completion', created: m.created, model: m.model,
    choices: choices.map((c) => ({
      index: c.index, text: echo(c) + c.text, logprobs: m.logprobs ? completionLogprobs(model, c) : null, finish_reason: c.finishReason,
      ...ids(c, m.returnTokenIds),
    })),
    usage: usage(choices),
  };
}

export function chatResponse(model: ServeModel, m: Meta, choices: readonly Choice[]) {
  return {
    id: m.id, object: 'chat.completion', created: m.created, model: m.model,
    choices: choices.map((c) => ({
      index: c.index, message: { role: 'assistant', content: c.text }, logprobs: m.logprobs ? chatLogprobs(model, c) : null,
      finish_reason: c.finishReason, ...ids(c, m.returnTokenIds),
    })),
    usage: usage(choices),
  };
}
