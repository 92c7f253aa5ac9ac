/**
 * OpenAI response shapes built from sampled sequences: completions and chat
 * completions, whole or as SSE chunks, with per-token logprobs and vLLM's
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

function completionLogprobs(model: ServeModel, c: Choice) {
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

function chatLogprobs(model: ServeModel, c: Choice) {
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

/**
 * Splits a choice's text into per-token deltas (decoding growing prefixes, holding back
 * text while it ends in an incomplete UTF-8 sequence) whose concatenation is the text.
 */
export function textDeltas(model: ServeModel, c: Choice): string[] {
  const deltas: string[] = [];
  let shown = 0;
  for (let t = 1; t <= c.seq.tokens.length; t++) {
    const full = model.decode(c.seq.tokens.slice(0, t));
    const visible = full.endsWith('\uFFFD') && t < c.seq.tokens.length ? shown : Math.min(full.length, c.text.length);
    const piece = c.text.slice(shown, Math.max(shown, visible));
    shown = Math.max(shown, visible);
    deltas.push(piece);
  }
  if (shown < c.text.length) deltas.push(c.text.slice(shown));
  return deltas;
}

/** SSE chunks (objects) of a streamed response, in order, without the final `[DONE]`. */
export function streamChunks(model: ServeModel, m: Meta, choices: readonly Choice[], chat: boolean, includeUsage: boolean, echo: (c: Choice) => string): unknown[] {
  const object = chat ? 'chat.completion.chunk' : 'text_completion';
  const head = { id: m.id, object, created: m.created, model: m.model };
  const out: unknown[] = [];
  for (const c of choices) {
    const deltas = textDeltas(model, c);
    if (chat) out.push({ ...head, choices: [{ index: c.index, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }] });
    else if (echo(c)) out.push({ ...head, choices: [{ index: c.index, text: echo(c), logprobs: null, finish_reason: null }] });
    deltas.forEach((piece, t) => {
      const last = t === deltas.length - 1;
      const tokenIds = t < c.seq.tokens.length ? [c.seq.tokens[t]!] : [];
      const lp = m.logprobs && t < c.seq.tokens.length
        ? (chat ? { content: chatLogprobs(model, { ...c, seq: { ...c.seq, tokens: tokenIds, logprobs: [c.seq.logprobs[t]!] }, alts: c.alts ? [c.alts[t]!] : null }).content }
          : completionLogprobs(model, { ...c, seq: { ...c.seq, tokens: tokenIds, logprobs: [c.seq.logprobs[t]!] }, alts: c.alts ? [c.alts[t]!] : null }))
        : null;
      const extra = m.returnTokenIds ? { token_ids: tokenIds } : {};
      const finish = last ? c.finishReason : null;
      out.push({ ...head, choices: [chat
        ? { index: c.index, delta: { content: piece }, logprobs: lp, finish_reason: finish, ...extra }
        : { index: c.index, text: piece, logprobs: lp, finish_reason: finish, ...extra }] });
    });
    if (deltas.length === 0) {
      out.push({ ...head, choices: [chat ? { index: c.index, delta: {}, logprobs: null, finish_reason: c.finishReason } : { index: c.index, text: '', logprobs: null, finish_reason: c.finishReason }] });
    }
  }
  if (includeUsage) out.push({ ...head, choices: [], usage: usage(choices) });
  return out;
}
