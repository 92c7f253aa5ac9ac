/**
 * Request bodies and reply parsers of the two inference engines (remote-backends.md §6),
 * token in, token out (never re-tokenised):
 *
 * - vLLM `POST /v1/completions` with `prompt` = token ids, `n` = G, `logprobs` (the sampled
 *   token's log-prob is always included), `return_token_ids: true`; read
 *   `choices[i].token_ids` and `choices[i].logprobs.token_logprobs`. Start vLLM with
 *   `--logprobs-mode processed_logprobs` when sampling with temperature ≠ 1 or top-p < 1.
 * - SGLang `POST /generate` with `input_ids` (the prompt repeated G times in one batch),
 *   `return_logprob: true`, `logprob_start_len: -1`; read `meta_info.output_token_logprobs`
 *   = [[logprob, token_id, text], …] and `meta_info.finish_reason.type`.
 */
import type { SampleParams, SampledSequence } from '../../policy/types.ts';
import { UserError } from '../../util/errors.ts';

export type Engine = 'vllm' | 'sglang';

export function vllmCompletionBody(model: string, prompt: readonly number[], p: SampleParams, seed: number): Record<string, unknown> {
  return {
    model,
    prompt: Array.from(prompt),
    n: p.n,
    max_tokens: p.maxTokens,
    temperature: p.temperature,
    top_p: p.topP,
    top_k: p.topK > 0 ? p.topK : -1,
    seed,
    logprobs: 1,
    return_token_ids: true,
    ...(p.stopTokenIds?.length ? { stop_token_ids: Array.from(p.stopTokenIds) } : {}),
    ...(p.stopStrings?.length ? { stop: Array.from(p.stopStrings), include_stop_str_in_output: true } : {}),
    skip_special_tokens: false,
  };
}

export function parseVllmCompletion(reply: unknown, n: number, where: string): SampledSequence[] {
  const choices = (reply as { choices?: unknown })?.choices;
  if (!Array.isArray(choices) || choices.length !== n) throw new UserError(`${where}: expected ${n} choices, got ${Array.isArray(choices) ? choices.length : 'none'}`);
  const sorted = [...choices].sort((a, b) => Number(a?.index ?? 0) - Number(b?.index ?? 0));
  return sorted.map((c, i) => {
    const tokens = c?.token_ids;
    const lps = c?.logprobs?.token_logprobs;
    if (!Array.isArray(tokens)) throw new UserError(`${where}: choices[${i}].token_ids is missing; vLLM needs return_token_ids (vLLM ≥ 0.10.2)`);
    if (!Array.isArray(lps) || lps.length !== tokens.length) throw new UserError(`${where}: choices[${i}].logprobs.token_logprobs must hold one log-prob per token`);
    return { tokens: tokens.map(Number), logprobs: lps.map(Number), finishReason: c.finish_reason === 'length' ? 'length' : 'stop' };
  });
}

export function sglangGenerateBody(prompt: readonly number[], p: SampleParams, seed: number, loraPath: string | null): Record<string, unknown> {
  return {
    input_ids: Array.from({ length: p.n }, () => Array.from(prompt)),
    sampling_params: {
      max_new_tokens: p.maxTokens,
      temperature: p.temperature,
      top_p: p.topP,
      top_k: p.topK > 0 ? p.topK : -1,
      sampling_seed: seed,
      ...(p.stopTokenIds?.length ? { stop_token_ids: Array.from(p.stopTokenIds) } : {}),
      ...(p.stopStrings?.length ? { stop: Array.from(p.stopStrings) } : {}),
      skip_special_tokens: false,
    },
    return_logprob: true,
    logprob_start_len: -1,
    ...(loraPath ? { lora_path: Array.from({ length: p.n }, () => loraPath) } : {}),
  };
}

export function parseSglangGenerate(reply: unknown, n: number, where: string): SampledSequence[] {
  const items = Array.isArray(reply) ? reply : [reply];
  if (items.length !== n) throw new UserError(`${where}: expected ${n} outputs, got ${items.length}`);
  return items.map((it, i) => {
    const lp = it?.meta_info?.output_token_logprobs;
    if (!Array.isArray(lp)) throw new UserError(`${where}: output ${i} has no meta_info.output_token_logprobs (send return_logprob: true)`);
    return {
      tokens: lp.map((x: unknown[]) => Number(x[1])),
      logprobs: lp.map((x: unknown[]) => Number(x[0])),
      finishReason: it?.meta_info?.finish_reason?.type === 'length' ? 'length' : 'stop',
    };
  });
}
